"""The perception pipeline on real photographs and clips (real TFLite models, no mocks)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from booth.config import PolicySettings
from booth.looks import Thresholds
from booth.looks.engine import NO_CALIBRATION
from booth.media import iter_video
from booth.vision import FacePipeline, FaceReading
from booth.vision.blendshapes import NAMES as BLENDSHAPES
from booth.vision.emotion import NAMES as EMOTIONS
from booth.vision.geometry import gaze_within

#: The looks' engaged ellipse for a sitter without a lens calibration (the default tolerance, widened).
POPULATION = NO_CALIBRATION.tolerance(Thresholds.from_settings(PolicySettings()).gaze)


def engaged(face: FaceReading) -> bool:
    """Eyes open and the raw gaze inside the looks' uncalibrated ellipse: what perception's angles must
    support (the looks add the calibration, the eye-wide and face-size checks and the hold on top)."""
    return face.eyes_open and gaze_within(face.gaze, POPULATION)


@pytest.mark.parametrize("name", ["astronaut.png", "0-f15-hao-ph.jpg", "single_face.jpg"])
def test_smiling_faces_read_happy(pipeline, photo, name):
    (face,) = pipeline.analyze(photo(name), track=False)
    assert max(face.emotions, key=face.emotions.get) == "happy"
    assert face.blendshapes["mouthSmileLeft"] > 0.5 and face.blendshapes["mouthSmileRight"] > 0.5


def test_neutral_face_does_not_read_happy(pipeline, photo):
    (face,) = pipeline.analyze(photo("grace_hopper.jpg"), track=False)
    assert face.emotions["happy"] < 0.2
    assert face.blendshapes["mouthSmileLeft"] < 0.2


def test_reading_is_complete_and_in_range(pipeline, photo):
    (face,) = pipeline.analyze(photo("single_face.jpg"), track=False)
    assert tuple(face.blendshapes) == BLENDSHAPES and len(BLENDSHAPES) == 52
    assert tuple(face.emotions) == EMOTIONS
    assert abs(sum(face.emotions.values()) - 1) < 1e-3
    assert all(0 <= v <= 1 for v in face.blendshapes.values())
    assert face.landmarks.shape == (478, 3)
    x0, y0, x1, y1 = face.box
    h, w = photo("single_face.jpg").shape[:2]
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    # The landmarks lie inside the box and the face fills a sensible share of this portrait.
    assert 0.2 < face.face_size < 0.8
    assert face.sharpness > 0
    assert {"landmarks", "blendshapes", "emotion", "geometry", "detect", "total"} <= set(face.timings_ms)


@pytest.mark.parametrize(("name", "low", "high"), [("45-m7-di-ph.jpg", 35, 55), ("15-f13-anc-ph.jpg", 8, 22)])
def test_head_turn_reads_its_yaw(pipeline, photo, name, low, high):
    """File names carry the head angle; both men turned toward image left (the sitter's right): yaw < 0."""
    (face,) = pipeline.analyze(photo(name), track=False)
    assert low <= -face.head_pose.yaw <= high
    assert abs(face.head_pose.roll) < 10


@pytest.mark.parametrize("name", ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "grace_hopper.jpg"])
def test_frontal_faces_read_frontal_and_engaged(pipeline, photo, name):
    (face,) = pipeline.analyze(photo(name), track=False)
    assert abs(face.head_pose.yaw) < 8 and abs(face.head_pose.pitch) < 12
    assert face.eyes_open and engaged(face)


def test_turned_head_with_eyes_away_is_not_engaged(pipeline, photo):
    (face,) = pipeline.analyze(photo("45-m7-di-ph.jpg"), track=False)
    assert face.eyes_open
    assert not engaged(face)
    assert face.gaze[0] < -20  # looking toward image left, with the head


def test_tilted_photo_reads_the_roll(pipeline, photo):
    from PIL import Image

    upright = photo("single_face.jpg")
    tilted = np.asarray(Image.fromarray(upright).rotate(25, resample=Image.Resampling.BILINEAR))
    (a,) = pipeline.analyze(upright, track=False)
    (b,) = pipeline.analyze(tilted, track=False)
    # PIL rotates counter-clockwise on screen; roll is clockwise-positive.
    assert b.head_pose.roll - a.head_pose.roll == pytest.approx(-25, abs=4)
    assert abs(b.head_pose.yaw - a.head_pose.yaw) < 5
    assert b.eyes_open and engaged(b)


def test_no_face_in_landscape(pipeline, photo):
    assert pipeline.analyze(photo("free-mountain-vector-01.jpg"), track=False) == []


def test_group_photo_finds_every_face(models, vision_params, photo):
    group = FacePipeline(models=models, params=dataclasses.replace(vision_params, max_faces=8))
    faces = group.analyze(photo("multi_face.jpg"), track=False)
    assert len(faces) == 5
    boxes = np.array([f.box for f in faces])
    assert len({round(x) for x in (boxes[:, 0] + boxes[:, 2]) / 2}) == 5  # five distinct places


def test_tracking_runs_the_detector_rarely(pipeline, media):
    frames = list(iter_video(media("single_face.mp4")))
    detected = tracked = 0
    for frame in frames:
        (face,) = pipeline.analyze(frame.pixels)
        if "detect" in face.timings_ms:
            detected += 1
        else:
            tracked += 1
        assert face.track_id == 1  # the same face throughout
    assert len(frames) == 72
    assert detected <= 72 // pipeline.params.detect_every + 1
    assert tracked >= 60


@pytest.fixture(scope="module")
def looking_models():
    """One interpreter thread and cores to spare (the booth's setting on a 2-core machine): the models have
    a detector thread for the periodic look."""
    from booth.config import VisionSettings
    from booth.vision import Models, VisionParams

    params = dataclasses.replace(VisionParams.from_settings(VisionSettings(threads=1)), cores=2)
    assert params.look_beside
    models = Models.load(params)
    yield models, params
    models.close()


def test_periodic_look_runs_beside_the_frame_and_reads_the_same(looking_models, media, monkeypatch):
    """While the sitter is tracked, the look for new faces runs on the detector thread: the frames read
    exactly what the same pipeline reads with the look on its own thread, and none waits for it."""
    import threading

    models, params = looking_models
    assert models.detector_thread is not None
    callers: list[str] = []
    detect = models.detector.detect

    def noting_the_thread(*args, **kwargs):
        callers.append(threading.current_thread().name)
        return detect(*args, **kwargs)

    monkeypatch.setattr(models.detector, "detect", noting_the_thread)
    beside = FacePipeline(models=models, params=params)
    inline = FacePipeline(models=dataclasses.replace(models, detector_thread=None), params=params)
    cpu_before, periodic = models.helper_cpu_seconds, 0
    for frame in iter_video(media("single_face.mp4")):
        (ours,) = beside.analyze(frame.pixels)
        (theirs,) = inline.analyze(frame.pixels)
        np.testing.assert_array_equal(ours.landmarks, theirs.landmarks)
        assert ours.blendshapes == theirs.blendshapes and ours.track_id == theirs.track_id == 1
        if frame.index and "detect" in theirs.timings_ms:  # a periodic look on the analysing thread
            periodic += 1
            assert "detect" not in ours.timings_ms  # this frame did not wait for its look
    assert periodic == 72 // params.detect_every
    looks = [name for name in callers if name.startswith("vision-detector")]
    assert len(looks) == periodic and callers.count(threading.main_thread().name) == periodic + 2
    assert models.helper_cpu_seconds > cpu_before  # the looks' CPU (and the emotion helper's) for the split


def test_a_face_that_walks_in_is_tracked_one_frame_after_the_look(looking_models, photo):
    """Two sitters side by side; the second appears at frame 7. With a look every 5 frames, the look on
    the analysing thread tracks them from frame 10, the look beside it from frame 11."""
    models, params = looking_models
    params = dataclasses.replace(params, detect_every=5)
    face = np.asarray(Image.fromarray(photo("single_face.jpg")).resize((320, 314)))
    both = np.ascontiguousarray(np.hstack([face, face]))
    alone = both.copy()
    alone[:, 320:] = 0
    frames = [alone] * 7 + [both] * 7
    firsts = []
    for detector_thread in (None, models.detector_thread):
        pipeline = FacePipeline(
            models=dataclasses.replace(models, detector_thread=detector_thread), params=params
        )
        counts = [len(pipeline.analyze(pixels)) for pixels in frames]
        assert counts[0] == 1 and counts[-1] == 2
        firsts.append(counts.index(2))
    assert firsts == [10, 11]


def test_the_detector_serves_two_threads_one_call_at_a_time(models, photo):
    """The live pipeline's look (detector thread) and a still's read (analysis thread) share one
    interpreter: concurrent calls find what calls one after another find."""
    import concurrent.futures

    images = [
        Image.fromarray(photo(name)) for name in ("single_face.jpg", "grace_hopper.jpg", "astronaut.png")
    ]
    alone = [[d.box for d in models.detector.detect(image)] for image in images]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        runs = [
            pool.submit(lambda i=i: [d.box for d in models.detector.detect(images[i % 3])]) for i in range(60)
        ]
        together = [run.result() for run in runs]
    assert together == [alone[i % 3] for i in range(60)]


def test_eyes_closed_frames_read_closed(pipeline, media):
    """WolfgangLanger_Pexels: she cries with her eyes shut for the first ~5 s (checked by eye)."""
    closed = [
        face.eyes_open
        for frame in iter_video(media("WolfgangLanger_Pexels.mp4"))
        if 12 <= frame.index <= 120
        for face in pipeline.analyze(frame.pixels)
    ]
    assert len(closed) >= 100
    assert sum(closed) == 0
    assert True not in closed


def test_eyes_open_when_looking_up(pipeline, media):
    """Frames 145-182 of the same clip: eyes open, looking up and to image left (checked by eye)."""
    readings = [
        face
        for frame in iter_video(media("WolfgangLanger_Pexels.mp4"))
        if 145 <= frame.index <= 182
        for face in pipeline.analyze(frame.pixels)
    ]
    assert len(readings) >= 35
    assert np.mean([r.eyes_open for r in readings]) > 0.9
    assert not any(engaged(r) for r in readings)


def test_lost_face_is_dropped_and_found_again(pipeline, media):
    counts = [len(pipeline.analyze(f.pixels)) for f in iter_video(media("face_noface.mov"), every=3)]
    assert max(counts) == 1
    assert counts[0] == 1 and 0 in counts
