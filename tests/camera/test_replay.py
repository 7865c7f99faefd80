"""The replay camera on real files: the fetched face clip and generated image folders. No mocks: the replay
source is itself the stand-in camera for CI."""

from __future__ import annotations

import shutil
import time
from io import BytesIO

import numpy as np
import pytest
from camera_helpers import faulted, healthy, wait_until
from PIL import Image

from booth import assets
from booth.camera.replay import ReplayCamera
from booth.config import CameraSettings


@pytest.fixture(scope="module")
def clip():
    return assets.media_path("single_face.mp4")


def test_video_frames_flow_with_sequence_and_monotonic_time(clip, fast_settings) -> None:
    with ReplayCamera(clip, fast_settings) as camera:
        first = camera.wait_frame(0, timeout=5)
        second = camera.wait_frame(first.sequence, timeout=5)
    assert first.pixels.shape == (180, 320, 3) and first.pixels.dtype == np.uint8  # capped to analysis_size
    assert second.sequence > first.sequence and second.timestamp >= first.timestamp
    assert not first.pixels.flags.writeable  # shared between threads: nobody may scribble on it
    assert camera.state.kind == "replay" and not camera.state.running


def test_full_speed_loops_the_clip(clip, fast_settings) -> None:
    with ReplayCamera(clip, fast_settings, realtime=False) as camera:
        assert camera.wait_frame(72 * 2 + 5, timeout=20) is not None  # single_face.mp4 has 72 frames
        assert camera.loops >= 2
        assert camera.state.fault is None


def test_realtime_replay_is_paced_near_the_clip_rate(clip) -> None:
    settings = CameraSettings(replay_realtime=True)
    with ReplayCamera(clip, settings) as camera:
        assert camera.wait_frame(0, timeout=5) is not None
        time.sleep(0.5)
        frames = camera.state.frames
    # 30 fps clip: about 16 frames in 0.5 s. Generous bounds, it only has to be paced, not fast.
    assert 5 <= frames <= 30


def test_image_folder_in_name_order_looping_without_a_hiccup(image_folder) -> None:
    with ReplayCamera(image_folder, CameraSettings(replay_realtime=True, fps=40)) as camera:
        frames = [camera.wait_frame(n, timeout=5) for n in range(0, 14)]
    assert [f.sequence for f in frames] == list(range(1, 15))  # paced: a reader keeps up, seam included
    reds = [int(f.pixels[0, 0, 0]) for f in frames]
    assert reds[:12] == [20 * i for i in range(12)] and reds[12:] == [0, 20]  # looped
    assert frames[0].pixels.shape == (90, 160, 3)


def test_preview_jpeg_is_lazy_and_cached_per_frame(image_folder) -> None:
    camera = ReplayCamera(image_folder, CameraSettings(replay_realtime=True, fps=5))
    assert camera.preview_jpeg() is None
    with camera:
        frame = camera.wait_frame(0, timeout=5)
        jpeg = camera.preview_jpeg(70)
        if camera.latest().sequence == frame.sequence:
            assert camera.preview_jpeg(70) is jpeg  # same frame, same bytes object: not re-encoded
        newer = camera.wait_frame(frame.sequence, timeout=5)
        assert newer is not None and camera.preview_jpeg(70) is not jpeg
    decoded = np.asarray(Image.open(BytesIO(jpeg)))
    assert decoded.shape == (90, 160, 3)


def test_still_picks_the_frame_nearest_a_moment(image_folder, fast_settings) -> None:
    settings = fast_settings.model_copy(update={"replay_realtime": True, "fps": 20.0, "ring_seconds": 5.0})
    with ReplayCamera(image_folder, settings) as camera:
        target = camera.wait_frame(3, timeout=5)
        assert camera.wait_frame(target.sequence + 3, timeout=5) is not None
        still = camera.still(target.timestamp + 0.001)
    assert still.sequence == target.sequence and still.pixels is target.pixels


def test_missing_file_is_a_fault_until_it_appears(clip, fast_settings, tmp_path) -> None:
    path = tmp_path / "later.mp4"
    with ReplayCamera(path, fast_settings) as camera:
        assert wait_until(lambda: faulted(camera))
        assert "no such file" in camera.state.fault and "booth models fetch --media" in camera.state.fault
        assert camera.state.running
        shutil.copy(clip, path)
        assert wait_until(lambda: healthy(camera))


def test_corrupt_file_is_a_fault_not_a_crash_and_recovers(clip, fast_settings, tmp_path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with ReplayCamera(path, fast_settings) as camera:
        assert wait_until(lambda: faulted(camera))
        assert str(path) in camera.state.fault and "replace" in camera.state.fault
        assert camera.latest() is None and camera.state.running
        shutil.copy(clip, path)
        assert wait_until(lambda: healthy(camera))


def test_folder_with_only_unreadable_images_is_a_fault(tmp_path, fast_settings) -> None:
    (tmp_path / "a.jpg").write_bytes(b"not a jpeg")
    with ReplayCamera(tmp_path, fast_settings) as camera:
        assert wait_until(lambda: faulted(camera))
        assert "no decodable frame" in camera.state.fault


def test_stop_returns_promptly_even_while_pacing(image_folder) -> None:
    camera = ReplayCamera(image_folder, CameraSettings(replay_realtime=True, fps=0.5)).start()
    assert camera.wait_frame(0, timeout=5) is not None
    started = time.monotonic()
    camera.stop()
    assert time.monotonic() - started < 5.0
    assert not camera.state.running
    assert camera.wait_frame(10**6, timeout=1) is None  # a stopped camera does not block readers
