"""``make bench``: per-stage latency of the perception pipeline against MediaPipe, measured in the same run.

Both run on one core (the process is pinned) over the same decoded frames of the real test clips: ours in
tracking mode, MediaPipe's FaceLandmarker in VIDEO mode with blendshapes. Passes alternate between the two so
a busy machine slows both alike; ratios, not absolute milliseconds, are the result. MediaPipe is a test/bench
dependency only and is imported here lazily.

Further sections (trigger latency) are added by the parts of the booth they measure.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from booth import assets
from booth.media import iter_video

if TYPE_CHECKING:
    from booth.vision import FacePipeline

CLIPS = ("single_face.mp4", "WolfgangLanger_Pexels.mp4")
STAGES = ("detect", "landmarks", "blendshapes", "emotion", "geometry", "models", "total")


def pin_to_one_core() -> None:
    """Run on one core, as the booth's analysis thread does on the Pi."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def load_frames(every: int = 1) -> list[np.ndarray]:
    return [f.pixels for clip in CLIPS for f in iter_video(assets.media_path(clip), every=every)]


@functools.cache
def our_pipeline() -> FacePipeline:
    """One pipeline for every pass (models load once), with the booth's default vision settings."""
    from booth import config
    from booth.vision import FacePipeline, Models, VisionParams

    params = VisionParams.from_settings(config.VisionSettings())
    return FacePipeline(Models.load(params), params)


def run_ours(frames: list[np.ndarray]) -> tuple[list[float], dict[str, list[float]]]:
    pipeline = our_pipeline()
    pipeline.reset()
    per_frame, stages = [], defaultdict(list)
    for pixels in frames:
        start = time.perf_counter()
        readings = pipeline.analyze(pixels)
        per_frame.append((time.perf_counter() - start) * 1000)
        if readings:
            for stage in STAGES:
                stages[stage].append(readings[0].timings_ms.get(stage, 0.0))
    return per_frame, stages


def make_mediapipe() -> Callable[[list[np.ndarray]], list[float]]:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    def run(frames: list[np.ndarray]) -> list[float]:
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(assets.media_path("face_landmarker.task"))),
            running_mode=vision.RunningMode.VIDEO,
            output_face_blendshapes=True,
            num_faces=1,
        )
        times = []
        with vision.FaceLandmarker.create_from_options(options) as landmarker:
            for index, pixels in enumerate(frames):
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=pixels)
                start = time.perf_counter()
                landmarker.detect_for_video(image, index * 33)
                times.append((time.perf_counter() - start) * 1000)
        return times

    return run


def trigger_latency(frames_by_clip: tuple[str, ...]) -> None:
    """Decision latency (peak frame's capture to the decision) and capture-to-shutter over the clips."""
    import tempfile
    from pathlib import Path

    from booth import config, looks
    from booth.commands.simulate import simulate_video
    from booth.hardware import Hardware, mock_pin_factory
    from booth.shooting import Shooter

    settings = config.Settings()
    shooter = Shooter.from_settings(settings, looks.load())
    records = []
    with (
        tempfile.TemporaryDirectory() as out,
        Hardware(settings.pins, pin_factory=mock_pin_factory()) as hardware,
    ):
        for clip in frames_by_clip:
            records += simulate_video(
                assets.media_path(clip), shooter, hardware, Path(out), False, "approachable"
            )
    decision = [r["latency_ms"] for r in records]
    shutter = [r["shutter_ms"] for r in records if r["shutter_ms"] is not None]
    print(
        f"trigger: {len(records)} fires; decision after peak p50 {pct(decision, 50):.1f} ms "
        f"p95 {pct(decision, 95):.1f} ms (budget one frame + 20 ms = 53 ms); capture to shutter line "
        f"p50 {pct(shutter, 50):.1f} ms p95 {pct(shutter, 95):.1f} ms (includes the focus lead)"
    )


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="booth.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="alternating passes of each (default 3)")
    parser.add_argument("--no-mediapipe", action="store_true", help="skip the reference")
    args = parser.parse_args(argv)

    pin_to_one_core()
    frames = [np.ascontiguousarray(f) for f in load_frames()]
    reference = None if args.no_mediapipe else make_mediapipe()
    run_ours(frames[:30])  # warm up: first invocations allocate
    if reference:
        reference(frames[:30])

    ours_frames: list[float] = []
    ours_stages: dict[str, list[float]] = defaultdict(list)
    theirs: list[float] = []
    for _ in range(args.passes):
        per_frame, stages = run_ours(frames)
        ours_frames += per_frame
        for stage, values in stages.items():
            ours_stages[stage] += values
        if reference:
            theirs += reference(frames)

    print(f"perception over {len(frames)} frames of {', '.join(CLIPS)}, {args.passes} passes, one core")
    print(f"{'stage':14} {'p50 ms':>8} {'p90 ms':>8}")
    for stage in STAGES:
        values = ours_stages.get(stage, [])
        if stage == "detect":
            ran = [v for v in values if v > 0]
            print(
                f"{'detect (ran)':14} {pct(ran, 50):8.3f} {pct(ran, 90):8.3f}"
                f"   on {len(ran)} of {len(values)} frames"
            )
            continue
        print(f"{stage:14} {pct(values, 50):8.3f} {pct(values, 90):8.3f}")
    outside = [t - m for t, m in zip(ours_stages["total"], ours_stages["models"], strict=True)]
    print(f"{'outside models':14} {pct(outside, 50):8.3f} {pct(outside, 90):8.3f}   (budget 1.5 ms)")
    ours_p50 = pct(ours_frames, 50)
    print(
        f"{'ours per frame':14} {ours_p50:8.3f} {pct(ours_frames, 90):8.3f}   {1000 / ours_p50:6.1f} frames/s"
    )
    trigger_latency(frames_by_clip=CLIPS)
    if reference:
        theirs_p50 = pct(theirs, 50)
        print(
            f"{'mediapipe':14} {theirs_p50:8.3f} {pct(theirs, 90):8.3f}   {1000 / theirs_p50:6.1f} frames/s"
        )
        print(
            f"bench: ours_ms={ours_p50:.2f} mediapipe_ms={theirs_p50:.2f} ratio={ours_p50 / theirs_p50:.2f}"
        )
    else:
        print(f"bench: ours_ms={ours_p50:.2f} mediapipe_ms=nan ratio=nan")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
