"""The picamera2 source against the fake picamera2 (tests/fakes/picamera2, injected via sys.modules): the
only mock here, standing in for the Pi's camera hardware, and written after picamera2 0.3.38's own source
(its docstring cites what it mirrors). Covers both lores formats with padded strides, the colour space, the
lores aspect, the full-resolution ring, focus controls, and each fault with its recovery."""

from __future__ import annotations

import gc
import os
import time

import numpy as np
import pytest
from camera_helpers import faulted, healthy, wait_until

from booth.camera.convert import BT601_LIMITED, BT709_LIMITED
from booth.camera.picam import PicameraCamera, list_cameras
from booth.config import CameraSettings
from booth.errors import CameraFault


def shown(fake, stream: str) -> np.ndarray:
    """What the newest fake camera's ``stream`` carries, as RGB, before it was encoded."""
    return fake.WORLD.instances[-1].shown(stream)


def disc_box(pixels: np.ndarray, colour: tuple[int, int, int]) -> tuple[int, int]:
    """Width and height in pixels of the fake's disc: the unbroken run of ``colour`` (within 12 levels)
    through the frame's centre, along its middle row and its middle column."""
    near = np.abs(pixels.astype(int) - np.array(colour)).max(axis=2) <= 12
    h, w = near.shape

    def run(line: np.ndarray, middle: int) -> int:
        assert line[middle], "the disc is not at the centre"
        ends = np.flatnonzero(~line)
        left, right = ends[ends < middle], ends[ends > middle]
        return int((right[0] if right.size else line.size) - (left[-1] + 1 if left.size else 0))

    return run(near[h // 2], w // 2), run(near[:, w // 2], h // 2)


def camera_module_3(fake) -> None:
    """A Camera Module 3 (imx708): 4608x2592 sensor, full mode at 14 fps, 2x2 binned 2304x1296 at 56."""
    fake.WORLD.sensor = (4608, 2592)
    fake.WORLD.modes = [{"size": (4608, 2592), "fps": 14.35}, {"size": (2304, 1296), "fps": 56.03}]


def test_pi5_lores_is_bgr888_and_converts_with_the_stride(fake_picamera2, fast_settings) -> None:
    """BGR888 (bytes R,G,B) is the Pi 5 ISP's native RGB: no 24-to-32-bit widening in libcamera, no
    narrowing here."""
    with PicameraCamera(fast_settings) as camera:
        frame = camera.wait_frame(0, timeout=5)
        assert frame is not None
        assert camera.lores is not None and camera.lores.format == "BGR888"
        assert camera.lores.stride > camera.lores.width * 3  # the fake pads rows
        assert frame.pixels.shape == (180, 320, 3) and frame.pixels.dtype == np.uint8
        np.testing.assert_array_equal(frame.pixels, shown(fake_picamera2, "lores"))


def test_pi4_refuses_rgb_lores_so_yuv420_is_used(fake_picamera2, fast_settings) -> None:
    fake_picamera2.WORLD.platform = "vc4"
    with PicameraCamera(fast_settings) as camera:
        frame = camera.wait_frame(0, timeout=5)
        assert frame is not None
        assert camera.lores is not None and camera.lores.format == "YUV420"
        diff = np.abs(frame.pixels.astype(int) - shown(fake_picamera2, "lores").astype(int))
        # 4:2:0 subsampling and rounding only: a few levels, more only along the disc's edge.
        assert diff.mean() < 2 and np.percentile(diff, 99) <= 8 and diff.max() <= 16


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
        # Every request released but at most two: the one the capture thread holds between
        # capture_request and release, and the one picamera2 keeps queued (_max_queue_len 1). A leak
        # would climb to buffer_count and starve libcamera.
        assert cam.outstanding <= 2 < cam.camera_config["buffer_count"]
    assert still is not None
    width, height = fake_picamera2.WORLD.sensor
    assert still.pixels.shape == (height, width, 3)
    assert abs(still.timestamp - later.timestamp) < 0.05
    diff = np.abs(still.pixels.astype(int) - cam.shown("main").astype(int))
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


def test_cable_pulled_mid_session_then_replugged(fake_picamera2, fast_settings) -> None:
    """A dislodged ribbon: frames stop (no error from libcamera), and after a re-scan the camera is gone."""
    with PicameraCamera(fast_settings) as camera:
        assert camera.wait_frame(0, timeout=5) is not None
        fake_picamera2.WORLD.stalled = True
        fake_picamera2.WORLD.cameras = []
        assert wait_until(lambda: faulted(camera))
        assert wait_until(lambda: "camera(s)" in (camera.state.fault or ""))
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


@pytest.mark.parametrize("fmt", ["YUV420", "XBGR8888", "RGB888"])
def test_forced_analysis_format(fake_picamera2, fast_settings, fmt) -> None:
    settings = fast_settings.model_copy(update={"analysis_format": fmt})
    with PicameraCamera(settings) as camera:
        frame = camera.wait_frame(0, timeout=5)
        assert frame is not None and camera.lores.format == fmt
        diff = np.abs(frame.pixels.astype(int) - shown(fake_picamera2, "lores").astype(int))
        assert np.percentile(diff, 99) <= 8 and diff.max() <= 16  # YUV420: chroma subsampling at the edge


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


def test_a_stalled_camera_is_reopened_within_the_retry_time(fake_picamera2, fast_settings) -> None:
    """picamera2 leaves a timed-out capture in its job list and stop() queues behind it for ever: without
    cancel_all_and_flush() the capture thread hangs in close and only the systemd watchdog would help."""
    with PicameraCamera(fast_settings) as camera:
        assert camera.wait_frame(0, timeout=5) is not None
        first = fake_picamera2.WORLD.instances[0]
        fake_picamera2.WORLD.stalled = True
        stalled_at = time.monotonic()
        # Stall noticed after stall_seconds (0.3), closed at once, reopened after retry_min_seconds (0.02).
        assert wait_until(lambda: len(fake_picamera2.WORLD.instances) >= 2, timeout=2.0)
        assert time.monotonic() - stalled_at < 1.0
        assert first.closed and not first.started
        assert camera.running  # the same capture thread, no process restart
        frames = camera.state.frames
        fake_picamera2.WORLD.stalled = False
        assert wait_until(lambda: healthy(camera, frames))


@pytest.mark.parametrize(
    ("still_size", "ycbcr"),
    [((1280, 720), BT709_LIMITED), ((640, 360), BT601_LIMITED)],
    ids=["rec709-from-720p", "smpte170m-below-720p"],
)
def test_a_colour_patch_decodes_within_two_levels(fake_picamera2, fast_settings, still_size, ycbcr) -> None:
    """picamera2 encodes YUV as Rec709 from a 1280x720 main up, SMPTE170M below; lores shares main's."""
    fake_picamera2.WORLD.platform = "vc4"  # a Pi 4: lores is YUV420 too
    settings = fast_settings.model_copy(update={"still_size": still_size})
    with PicameraCamera(settings) as camera:
        frame = camera.wait_frame(0, timeout=5)
        assert frame is not None
        assert camera.lores is not None and camera.lores.format == "YUV420"
        assert camera.lores.ycbcr == ycbcr and camera.main is not None and camera.main.ycbcr == ycbcr
        still = camera.still(frame.timestamp)
    assert still is not None
    for pixels in (frame.pixels, still.pixels):
        h, w = pixels.shape[:2]
        centre = pixels[h // 2 - 8 : h // 2 + 8, w // 2 - 8 : w // 2 + 8].reshape(-1, 3).astype(int)
        assert np.abs(centre - np.array(fake_picamera2.PATCH)).max() <= 2, centre.mean(axis=0)


@pytest.mark.parametrize("platform", ["pisp", "vc4"])
def test_faces_keep_their_shape_under_a_16_9_main(fake_picamera2, platform) -> None:
    """lores is scaled from main's crop: a 640x480 lores under a 2304x1296 main squeezes the round disc of
    the fake's scene to 75 % of its width. The booth fits lores to main's aspect inside analysis_size."""
    fake_picamera2.WORLD.platform = platform
    camera_module_3(fake_picamera2)
    settings = CameraSettings(analysis_size=(640, 480), stall_seconds=5.0, replay_realtime=False)
    with PicameraCamera(settings) as camera:
        frame = camera.wait_frame(0, timeout=10)
        assert frame is not None
        assert camera.main is not None and (camera.main.width, camera.main.height) == (2304, 1296)
        assert frame.pixels.shape[:2] == (360, 640)
        width, height = disc_box(frame.pixels, fake_picamera2.PATCH)
    assert width / height == pytest.approx(1.0, abs=0.03)


def test_a_camera_held_elsewhere_leaks_no_file_descriptors(fake_picamera2, fast_settings) -> None:
    """Each failed Picamera2() leaves its notification pipe open upstream; 100 failed reopens stay flat."""
    fake_picamera2.WORLD.busy = True
    camera = PicameraCamera(fast_settings)
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(100):
        with pytest.raises(CameraFault, match="another program"):
            camera._open()
        camera._close()
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) - before <= 2


def test_a_camera_held_elsewhere_is_a_fault_naming_the_fix(fake_picamera2, fast_settings) -> None:
    fake_picamera2.WORLD.busy = True
    with PicameraCamera(fast_settings) as camera:
        assert wait_until(lambda: faulted(camera))
        assert "another program" in camera.state.fault and "retrying" in camera.state.fault
        fake_picamera2.WORLD.busy = False
        assert wait_until(lambda: healthy(camera))


def test_sensor_modes_are_read_once_per_camera_model(fake_picamera2, fast_settings) -> None:
    """Reading sensor_modes reconfigures the camera once per mode; a reopen must not do it again."""
    camera = PicameraCamera(fast_settings)
    for _ in range(3):
        camera._open()
        camera._close()
    assert len(fake_picamera2.WORLD.instances) == 3
    assert fake_picamera2.WORLD.mode_probes == len(fake_picamera2.WORLD.modes)
    # Another model on the same connector is measured afresh.
    fake_picamera2.WORLD.cameras = [{"Model": "imx477", "Num": 0, "Id": "/base/soc/i2c0mux/i2c@1/imx477@1a"}]
    camera._open()
    camera._close()
    assert fake_picamera2.WORLD.mode_probes == 2 * len(fake_picamera2.WORLD.modes)


def test_at_rest_a_pi4_converts_only_the_frames_read_and_keeps_no_stills(
    fake_picamera2, fast_settings, monkeypatch
) -> None:
    """In standby the booth puts the camera at rest: the capture thread then leaves each Pi 4 YUV420 frame
    as it came, and only a frame someone reads (the analysis, the preview) is converted, once, on the
    reader's thread and charged to the camera's conversion; its pixels are the eager path's, to the bit.
    No still can be asked for at rest, so main is not copied and the ring is emptied. Awake again, the
    capture thread converts every frame and the ring fills."""
    import booth.camera.picam as picam

    conversions: list[int] = []
    real_to_rgb = picam.to_rgb

    def counted(*args, **kwargs):
        conversions.append(1)
        return real_to_rgb(*args, **kwargs)

    monkeypatch.setattr(picam, "to_rgb", counted)
    fake_picamera2.WORLD.platform = "vc4"
    made = fake_picamera2.WORLD.buffers_made
    with PicameraCamera(fast_settings) as camera:
        eager = camera.wait_frame(0, timeout=5)
        assert eager is not None and eager.converted and camera.still(eager.timestamp) is not None
        camera.resting = True
        # The grab under way when it was set is still an awake one: from the first resting frame on.
        assert wait_until(lambda: (frame := camera.latest()) is not None and not frame.converted)
        first = camera.latest()
        assert first is not None
        before, mains = len(conversions), made["main"]
        later = camera.wait_frame(first.sequence + 5, timeout=5)
        assert later is not None and not later.converted
        assert len(conversions) == before and made["main"] == mains  # five frames, none converted or kept
        assert camera.still(later.timestamp) is None  # the ring was emptied
        fake_picamera2.WORLD.stalled = True  # frames stop, so the latest stays the latest
        time.sleep(0.1)
        latest, spent = camera.latest(), camera.cpu.snapshot().conversion
        assert latest is not None and not latest.converted  # nobody has read it yet
        assert camera.preview_jpeg() is not None  # the preview reads it: converted now, for it
        assert latest.converted and len(conversions) == before + 1
        assert camera.cpu.snapshot().conversion > spent
        assert latest.pixels is latest.pixels and len(conversions) == before + 1  # read again: kept
        assert not latest.pixels.flags.writeable
        np.testing.assert_array_equal(latest.pixels, eager.pixels)  # the fake's frames do not change
        fake_picamera2.WORLD.stalled = False
        camera.resting = False
        mark = camera.latest()
        assert mark is not None
        after = camera.wait_frame(mark.sequence + 1, timeout=5)  # one may have been published as it was set
        assert after is not None and after.converted and made["main"] > mains
        still = camera.still(after.timestamp)
        assert still is not None and still.pixels.shape[:2] == tuple(reversed(fake_picamera2.WORLD.sensor))


def test_a_conversion_that_fails_is_a_fault_and_the_camera_goes_on(
    fake_picamera2, fast_settings, monkeypatch, caplog
):
    """The conversion runs on the capture thread inside the same guard as the grab: a buffer it cannot
    convert is one fault line naming the error, the source is reopened, and frames flow again."""
    import booth.camera.picam as picam

    real_to_rgb, failures = picam.to_rgb, [1]

    def once_broken(*args, **kwargs):
        if failures:
            failures.pop()
            raise ValueError("cannot reshape array")
        return real_to_rgb(*args, **kwargs)

    monkeypatch.setattr(picam, "to_rgb", once_broken)
    with PicameraCamera(fast_settings) as camera:
        assert wait_until(lambda: healthy(camera, after_frames=3))
        assert not failures and camera.running
        assert camera._thread is not None and camera._thread.is_alive()
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("camera fault:")]
    assert "lost (ValueError: cannot reshape array)" in line and "retrying" in line
