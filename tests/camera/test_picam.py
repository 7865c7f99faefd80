"""The picamera2 source against the fake picamera2 (tests/fakes/picamera2, injected via sys.modules): the
only mock here, standing in for the Pi's camera hardware. Covers both lores formats with padded strides, the
full-resolution ring, focus controls, and each fault with its recovery."""

from __future__ import annotations

import time

import numpy as np
import pytest
from camera_helpers import faulted, healthy, wait_until

from booth.camera.picam import PicameraCamera, list_cameras
from booth.config import CameraSettings


def test_pi5_lores_is_xbgr_and_converts_with_the_stride(fake_picamera2, fast_settings) -> None:
    with PicameraCamera(fast_settings) as camera:
        frame = camera.wait_frame(0, timeout=5)
        assert frame is not None
        assert camera.lores is not None and camera.lores.format == "XBGR8888"
        assert camera.lores.stride > camera.lores.width * 4  # the fake pads rows
        expected = fake_picamera2.pattern(320, 180)
        assert frame.pixels.shape == (180, 320, 3) and frame.pixels.dtype == np.uint8
        np.testing.assert_array_equal(frame.pixels, expected)


def test_pi4_refuses_rgb_lores_so_yuv420_is_used(fake_picamera2, fast_settings) -> None:
    fake_picamera2.WORLD.platform = "vc4"
    with PicameraCamera(fast_settings) as camera:
        frame = camera.wait_frame(0, timeout=5)
        assert frame is not None
        assert camera.lores is not None and camera.lores.format == "YUV420"
        diff = np.abs(frame.pixels.astype(int) - fake_picamera2.pattern(320, 180).astype(int))
        assert diff.mean() < 2 and diff.max() <= 8  # 4:2:0 subsampling and rounding only


def test_configuration_asks_for_same_mode_full_resolution_main(fake_picamera2, fast_settings) -> None:
    settings = fast_settings.model_copy(update={"fps": 15.0, "exposure_us": 8000, "analogue_gain": 2.0})
    with PicameraCamera(settings) as camera:
        assert camera.wait_frame(0, timeout=5) is not None
        config = fake_picamera2.WORLD.instances[-1].camera_config
    assert config["main"]["size"] == fake_picamera2.WORLD.sensor and config["main"]["format"] == "YUV420"
    assert config["lores"]["size"] == (320, 180)
    assert config["controls"] == {
        "FrameDurationLimits": (66667, 66667),
        "ExposureTime": 8000,
        "AnalogueGain": 2.0,
    }
    assert config["buffer_count"] == settings.buffer_count


def test_still_is_full_resolution_and_requests_are_released(fake_picamera2, fast_settings) -> None:
    with PicameraCamera(fast_settings) as camera:
        first = camera.wait_frame(0, timeout=5)
        assert first is not None
        later = camera.wait_frame(first.sequence + 5, timeout=5)
        assert later is not None
        still = camera.still(later.timestamp)
        cam = fake_picamera2.WORLD.instances[-1]
        assert cam.outstanding <= 1  # every request but possibly the one in flight was released
    assert still is not None
    width, height = fake_picamera2.WORLD.sensor
    assert still.pixels.shape == (height, width, 3)
    assert abs(still.timestamp - later.timestamp) < 0.05
    diff = np.abs(still.pixels.astype(int) - fake_picamera2.pattern(width, height).astype(int))
    assert diff.mean() < 2
    assert cam.closed


def test_ring_is_bounded_in_memory(fake_picamera2, fast_settings) -> None:
    settings = fast_settings.model_copy(update={"ring_max_mb": 4.0, "ring_seconds": 10.0})
    with PicameraCamera(settings) as camera:
        assert camera.wait_frame(30, timeout=10) is not None
        assert camera._ring.nbytes <= 4 * 2**20
        assert len(camera._ring) >= 2


def test_continuous_af_with_a_window_on_the_face(fake_picamera2, fast_settings) -> None:
    with PicameraCamera(fast_settings) as camera:
        assert camera.wait_frame(0, timeout=5) is not None
        cam = fake_picamera2.WORLD.instances[-1]
        assert cam.controls[0] == {"AfMode": 2, "AfMetering": 0}
        camera.set_focus_window((80, 45, 160, 135))  # analysis pixels in a 320x180 frame
        assert wait_until(lambda: len(cam.controls) >= 2)
        # 1280x720 sensor crop over a 320x180 frame: 4x in each direction.
        assert cam.controls[-1] == {"AfMode": 2, "AfMetering": 1, "AfWindows": [(320, 180, 320, 360)]}


def test_manual_focus_locks_the_lens(fake_picamera2, fast_settings) -> None:
    settings = fast_settings.model_copy(update={"focus": "manual", "lens_position": 1.5})
    with PicameraCamera(settings) as camera:
        assert camera.wait_frame(0, timeout=5) is not None
        cam = fake_picamera2.WORLD.instances[-1]
        assert cam.controls[0] == {"AfMode": 0, "LensPosition": 1.5, "AfMetering": 0}
        camera.set_focus("continuous")
        assert wait_until(lambda: cam.controls[-1]["AfMode"] == 2)


def test_camera_without_autofocus_gets_no_af_controls(fake_picamera2, fast_settings) -> None:
    fake_picamera2.WORLD.has_af = False
    with PicameraCamera(fast_settings) as camera:
        assert camera.wait_frame(3, timeout=5) is not None
        camera.set_focus_window((0, 0, 10, 10))
        assert camera.wait_frame(camera.latest().sequence + 3, timeout=5) is not None
        assert fake_picamera2.WORLD.instances[-1].controls == []


def test_no_camera_at_start_then_plugged_in(fake_picamera2, fast_settings, caplog) -> None:
    cameras = fake_picamera2.WORLD.cameras
    fake_picamera2.WORLD.cameras = []
    with PicameraCamera(fast_settings) as camera:
        assert wait_until(lambda: faulted(camera))
        time.sleep(0.3)  # several retries
        fault = camera.state.fault
        assert "lists 0 camera(s)" in fault and "ribbon cable" in fault
        assert [r.message for r in caplog.records].count(
            f"camera fault: {fault}"
        ) == 1  # one line, not one per retry
        fake_picamera2.WORLD.cameras = cameras
        assert wait_until(lambda: healthy(camera))
        assert camera.state.running


def test_unplugged_mid_session_then_replugged(fake_picamera2, fast_settings) -> None:
    with PicameraCamera(fast_settings) as camera:
        assert camera.wait_frame(0, timeout=5) is not None
        fake_picamera2.WORLD.unplugged = True
        fake_picamera2.WORLD.cameras = []
        assert wait_until(lambda: faulted(camera))
        assert "lost" in camera.state.fault or "camera(s)" in camera.state.fault
        assert fake_picamera2.WORLD.instances[0].closed  # the lost camera was released before retrying
        frames = camera.state.frames
        fake_picamera2.reset()
        assert wait_until(lambda: healthy(camera, frames))
        assert len(fake_picamera2.WORLD.instances) >= 1


def test_stall_is_a_fault_and_clears_when_frames_return(fake_picamera2, fast_settings) -> None:
    with PicameraCamera(fast_settings) as camera:
        first = camera.wait_frame(0, timeout=5)
        assert first is not None
        fake_picamera2.WORLD.stalled = True
        assert wait_until(lambda: faulted(camera))
        assert "no new frame for 0.3 s (stalled)" in camera.state.fault
        fake_picamera2.WORLD.stalled = False
        frames = camera.state.frames
        assert wait_until(lambda: healthy(camera, frames))
        newer = camera.wait_frame(first.sequence, timeout=5)
        assert newer is not None and newer.sequence > first.sequence  # sequence survives the reopen


def test_picamera2_missing_is_a_fault_naming_the_fix(monkeypatch, fast_settings) -> None:
    monkeypatch.setitem(__import__("sys").modules, "picamera2", None)  # import picamera2 -> ImportError
    assert list_cameras() == []
    with PicameraCamera(fast_settings) as camera:
        assert wait_until(lambda: faulted(camera))
        assert "apt install python3-picamera2" in camera.state.fault


def test_stop_releases_the_camera(fake_picamera2) -> None:
    camera = PicameraCamera(CameraSettings(analysis_size=(320, 180))).start()
    assert camera.wait_frame(0, timeout=5) is not None
    camera.stop()
    assert not camera.state.running
    assert all(cam.closed for cam in fake_picamera2.WORLD.instances)


@pytest.mark.parametrize("fmt", ["YUV420", "BGR888", "RGB888"])
def test_forced_analysis_format(fake_picamera2, fast_settings, fmt) -> None:
    settings = fast_settings.model_copy(update={"analysis_format": fmt})
    with PicameraCamera(settings) as camera:
        frame = camera.wait_frame(0, timeout=5)
        assert frame is not None and camera.lores.format == fmt
        diff = np.abs(frame.pixels.astype(int) - fake_picamera2.pattern(320, 180).astype(int))
        assert diff.max() <= 8


def test_still_size_is_the_largest_mode_that_keeps_up_with_the_frame_rate(
    fake_picamera2, fast_settings
) -> None:
    """Like a Camera Module 3 scaled down: full size at 14 fps, the 2x2-binned mode at 56."""
    fake_picamera2.WORLD.modes = [{"size": (1280, 720), "fps": 14.35}, {"size": (640, 360), "fps": 56.03}]
    for update, width in [
        ({"fps": 30.0}, 640),
        ({"fps": 10.0}, 1280),
        ({"fps": 30.0, "still_size": (1280, 720)}, 1280),
    ]:
        with PicameraCamera(fast_settings.model_copy(update=update)) as camera:
            assert camera.wait_frame(0, timeout=5) is not None
            assert camera.main is not None and camera.main.width == width, update
