"""``make bench``: per-stage latency of the perception pipeline against MediaPipe, measured in the same run,
then the trigger's latency and the whole booth's CPU per camera frame.

Perception runs over the same decoded frames of the real test clips: ours in tracking mode (landmarks,
blendshapes, emotions and geometry: everything the booth reads), MediaPipe's FaceLandmarker in VIDEO mode
with blendshapes. First on one core (the process pinned, one interpreter thread each, as the booth's
analysis thread runs on a Pi), then on every core the process may use (ours with that many interpreter
threads and the emotion model overlapped, MediaPipe as shipped). Passes alternate between the two so a busy
machine slows both alike; ratios, not absolute milliseconds, are the result. MediaPipe is a test/bench
dependency only and is imported here lazily.

The last section replays a clip through ``booth run``'s own loop in a child process
(:mod:`booth.bench_booth`), then a clip with nobody in view, the booth at rest (``booth_empty:``). The last
three lines are the figures scripts read.
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
#: Frames of the paced runs (:func:`paced_line`): ten seconds of camera at 30 fps over both set-ups.
PACED_FRAMES = 150
#: The empty booth's run: a clip with no face, 75 s of it soaked after 30 s (about 24 frames a second).
EMPTY_CLIP = "no_face.mp4"
EMPTY_WARMUP = 720
EMPTY_SOAK = 1800
STAGES = ("detect", "landmarks", "blendshapes", "emotion", "geometry", "models", "total")


def pin_to_one_core() -> set[int]:
    """Run on one core, as the booth's analysis thread does on the Pi; return the cores allowed before."""
    if not hasattr(os, "sched_setaffinity"):
        return set(range(os.cpu_count() or 1))
    allowed = set(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {min(allowed)})
    return allowed


def unpin(cores: set[int]) -> None:
    """Allow ``cores`` again. Threads started from now on may use them; threads started while pinned stay
    pinned, so the all-core passes load their models (and MediaPipe its graph) after this."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)


def load_frames(every: int = 1) -> list[np.ndarray]:
    return [f.pixels for clip in CLIPS for f in iter_video(assets.media_path(clip), every=every)]


@functools.cache
def our_pipeline(threads: int = 1, tracking: str = "full") -> FacePipeline:
    """One pipeline per set-up for every pass (models load once), else the booth's default vision settings."""
    from booth import config
    from booth.vision import FacePipeline, Models, VisionParams

    params = VisionParams.from_settings(config.VisionSettings(threads=threads, tracking=tracking))
    return FacePipeline(Models.load(params), params)


def run_ours(
    frames: list[np.ndarray], threads: int = 1, tracking: str = "full"
) -> tuple[list[float], dict[str, list[float]]]:
    pipeline = our_pipeline(threads, tracking)
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


def run_paced(
    frames: list[np.ndarray], analyze: Callable[[np.ndarray], object], period: float
) -> list[float]:
    """Per-frame latency (ms) at a camera's rhythm: one frame every ``period`` seconds.

    Why not back to back as above: live, the analysis waits between frames, and the cores and interpreter
    threads that wait fall asleep; waking them is part of each frame's cost. On this VM two interpreter
    threads took 9.9 ms a frame with 20 ms gaps against 3.8 back to back (one thread: 7.7 against 6.9).
    """
    times: list[float] = []
    due = time.perf_counter()
    for pixels in frames:
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        start = time.perf_counter()
        analyze(pixels)
        times.append((time.perf_counter() - start) * 1000)
        due = start + period
    return times


def look_line(frames: list[np.ndarray], passes: int) -> str:
    """The periodic look for new faces on its own thread against inline, one interpreter thread, on every
    core the process may use (``VisionParams.look_beside``; the booth's setting on a 2-core machine): p50
    of the frames that look, of the frame after each, and of the rest. The same models, alternating."""
    import dataclasses

    from booth import config
    from booth.vision import FacePipeline, Models, VisionParams

    params = VisionParams.from_settings(config.VisionSettings(threads=1))  # loaded here: after the unpin
    if not params.look_beside:
        return f"periodic look: not measured (no core to spare beside the analysis on {params.cores})"
    models = Models.load(params)
    setups = {"beside": models, "inline": dataclasses.replace(models, detector_thread=None)}
    times: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in setups}
    every = params.detect_every
    for _ in range(passes):
        for name, chosen in setups.items():
            pipeline = FacePipeline(chosen, params)
            for index, pixels in enumerate(frames):
                start = time.perf_counter()
                pipeline.analyze(pixels)
                after = index > every and index % every == 1
                kind = "look" if index and index % every == 0 else "after" if after else "rest"
                times[name][kind].append((time.perf_counter() - start) * 1000)
    models.close()
    parts = [
        f"{name}: "
        + ", ".join(f"{kind} {pct(times[name][kind], 50):.2f}" for kind in ("look", "after", "rest"))
        for name in setups
    ]
    return f"periodic look (every {every} frames, one interpreter thread), p50 ms: " + "; ".join(parts)


def paced_line(frames: list[np.ndarray], threads: int, fps: float = 30.0) -> str:
    """Ours with one interpreter thread and with ``threads``, each over ``frames`` at ``fps``."""
    results = []
    for count in dict.fromkeys((1, threads)):
        pipeline = our_pipeline(count)
        pipeline.reset()
        results.append(f"{pct(run_paced(frames, pipeline.analyze, 1 / fps), 50):.2f} ms with {count}")
    return f"ours at the camera's pace ({fps:g} fps, {len(frames)} frames), p50: " + ", ".join(results)


#: The Pi camera's analysis formats (:data:`booth.camera.picam.AUTO_FORMATS`, and XBGR8888 set by hand).
CAMERA_FORMATS = (("BGR888", "Pi 5"), ("XBGR8888", "by hand"), ("YUV420", "Pi 4"))


def camera_buffers(pixels: np.ndarray) -> dict[str, np.ndarray]:
    """A frame laid out as the Pi camera delivers it in each of :data:`CAMERA_FORMATS`, rows unpadded.

    YUV420 is encoded as full-range BT.601 (sYCC), chroma averaged over each 2x2 block.
    """
    height, width = pixels.shape[:2]
    rgb = pixels[: height // 2 * 2, : width // 2 * 2].astype(np.float32)
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    blocks = (rgb.shape[0] // 2, 2, rgb.shape[1] // 2, 2)
    blue = ((rgb[..., 2] - luma) * 0.564).reshape(blocks).mean(axis=(1, 3))
    red = ((rgb[..., 0] - luma) * 0.713).reshape(blocks).mean(axis=(1, 3))
    planes = (luma, blue + 128, red + 128)
    yuv = np.concatenate([np.clip(plane.round(), 0, 255).astype(np.uint8).ravel() for plane in planes])
    xbgr = np.dstack([pixels, np.full((height, width), 255, np.uint8)])
    return {"BGR888": pixels.ravel().copy(), "XBGR8888": xbgr.ravel(), "YUV420": yuv}


def conversion_line(pixels: np.ndarray, repeats: int = 200) -> str:
    """The Pi camera's conversion of one analysis frame to RGB, per format (the replay camera skips it)."""
    from booth.camera.convert import BT601_FULL, PACKED, to_rgb

    height, width = pixels.shape[:2]
    buffers = camera_buffers(pixels)
    parts = []
    for fmt, where in CAMERA_FORMATS:
        buffer = buffers[fmt]
        even = (width // 2 * 2, height // 2 * 2) if fmt == "YUV420" else (width, height)
        stride = even[0] * PACKED.get(fmt, 1)  # YUV420: one byte of luma per pixel
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            to_rgb(buffer, fmt, even[0], even[1], stride, BT601_FULL)
            times.append((time.perf_counter() - start) * 1000)
        parts.append(f"{fmt} ({where}) {pct(times, 50):.2f}")
    return f"camera conversion of a {width}x{height} frame to RGB, p50 ms: " + ", ".join(parts)


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


def alternate(
    frames: list[np.ndarray],
    passes: int,
    threads: int,
    reference: Callable[[list[np.ndarray]], list[float]] | None,
    tracking: str = "full",
) -> tuple[list[float], dict[str, list[float]], list[float]]:
    """``passes`` of ours and of the reference in turn, after a warm-up of each (first calls allocate)."""
    run_ours(frames[:30], threads, tracking)
    if reference:
        reference(frames[:30])
    ours: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)
    theirs: list[float] = []
    for _ in range(passes):
        per_frame, by_stage = run_ours(frames, threads, tracking)
        ours += per_frame
        for stage, values in by_stage.items():
            stages[stage] += values
        if reference:
            theirs += reference(frames)
    return ours, stages, theirs


def print_stages(stages: dict[str, list[float]]) -> None:
    print(f"{'stage':14} {'p50 ms':>8} {'p90 ms':>8}")
    for stage in STAGES:
        values = stages.get(stage, [])
        if stage == "detect":
            ran = [v for v in values if v > 0]
            print(
                f"{'detect (ran)':14} {pct(ran, 50):8.3f} {pct(ran, 90):8.3f}"
                f"   on {len(ran)} of {len(values)} frames"
            )
            continue
        print(f"{stage:14} {pct(values, 50):8.3f} {pct(values, 90):8.3f}")
    outside = [t - m for t, m in zip(stages["total"], stages["models"], strict=True)]
    print(f"{'outside models':14} {pct(outside, 50):8.3f} {pct(outside, 90):8.3f}   (budget 1.0 ms)")


def per_frame_row(name: str, values: list[float]) -> str:
    p50 = pct(values, 50)
    return (
        f"{name:22} p50 {p50:7.3f}  p90 {pct(values, 90):7.3f}  mean {float(np.mean(values)):7.3f} ms"
        f"   {1000 / p50:6.1f} frames/s"
    )


def summary(key: str, ours: list[float], theirs: list[float]) -> str:
    """The figure line: p50 per-frame latency of each and their ratio."""
    ours_p50 = pct(ours, 50)
    theirs_p50 = pct(theirs, 50) if theirs else float("nan")
    return f"{key}: ours_ms={ours_p50:.2f} mediapipe_ms={theirs_p50:.2f} ratio={ours_p50 / theirs_p50:.2f}"


def empty_booth_lines() -> list[str]:
    """The running booth again with nobody in view (``no_face.mp4``), at rest (booth/service/standby.py):
    what an empty booth costs between sitters. Its summary line is ``booth_empty:``, so the bench's last
    lines stay the three the issue names. Standby after 5 s rather than the booth's 30, so the warm-up
    (30 s of the clip) covers it; what the rest costs does not depend on how soon it began."""
    from booth import bench_booth

    lines = bench_booth.run_in_child(
        EMPTY_SOAK, "--clip", EMPTY_CLIP, "--warmup", str(EMPTY_WARMUP), "--standby-after", "5"
    )
    return [*lines[:-1], lines[-1].replace("booth:", "booth_empty:", 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="booth.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="alternating passes of each (default 3)")
    parser.add_argument("--no-mediapipe", action="store_true", help="skip the reference")
    parser.add_argument(
        "--soak-frames", type=int, default=10_000, help="camera frames of the booth's soak (0: skip it)"
    )
    args = parser.parse_args(argv)

    cores = pin_to_one_core()
    frames = [np.ascontiguousarray(f) for f in load_frames()]
    reference = None if args.no_mediapipe else make_mediapipe()
    ours, stages, theirs = alternate(frames, args.passes, 1, reference)
    light, _, _ = alternate(frames, 1, 1, None, tracking="light")
    print(f"perception over {len(frames)} frames of {', '.join(CLIPS)}, {args.passes} passes, one core")
    print_stages(stages)
    print(per_frame_row("ours per frame", ours))
    print(per_frame_row("ours, light tracking", light) + "   (opt-in; not at parity: booth eval --mesh)")
    if theirs:
        print(per_frame_row("mediapipe", theirs))
    print(conversion_line(frames[0]))
    one_core = summary("bench", ours, theirs)

    unpin(cores)
    threads = len(cores)
    ours_all, stages_all, theirs_all = alternate(frames, args.passes, threads, reference)
    print(f"perception on {threads} cores: ours with {threads} interpreter threads, MediaPipe as shipped")
    print_stages(stages_all)
    print(per_frame_row("ours per frame", ours_all))
    if theirs_all:
        print(per_frame_row("mediapipe", theirs_all))
    all_cores = summary("bench_all_cores", ours_all, theirs_all)
    print(paced_line(frames[:PACED_FRAMES], threads))
    print(look_line(frames, args.passes))

    trigger_latency(frames_by_clip=CLIPS)
    booth_lines: list[str] = []
    if args.soak_frames:
        from booth import bench_booth

        booth_lines = bench_booth.run_in_child(args.soak_frames)
        print("\n".join(booth_lines[:-1]))
        print("\n".join(empty_booth_lines()))
    print(one_core)
    print(all_cores)
    if booth_lines:
        print(booth_lines[-1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
