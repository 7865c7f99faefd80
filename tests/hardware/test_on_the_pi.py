"""The final hardware check, on a provisioned Raspberry Pi: ``pytest -m hardware tests/hardware``.

Off by default (``-m 'not hardware'`` in pyproject.toml) and skipped off a Pi: everything else in the suite
runs on any machine against a fake picamera2, gpiozero's mock pins and replayed footage. These tests touch
the real camera and the real GPIO lines, so stop the booth first (``sudo systemctl stop booth``) and leave
the camera's remote cable unplugged (the shutter line is pulsed).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from booth import config
from booth.hardware import Hardware, pi_model
from booth.service.pace import BUDGET_FPS

pytestmark = [
    pytest.mark.hardware,
    pytest.mark.skipif(pi_model() is None, reason="not a Raspberry Pi"),
]


@pytest.fixture
def camera():
    from booth.camera.picam import PicameraCamera, list_cameras

    if not list_cameras():
        pytest.skip("no Pi camera connected")
    with PicameraCamera(config.CameraSettings()) as cam:
        yield cam


def test_both_streams_deliver_at_the_configured_rate(camera):
    first = camera.wait_frame(0, timeout=10)
    assert first is not None, camera.state.fault
    time.sleep(3)
    assert camera.state.fault is None
    assert camera.state.fps >= 0.8 * config.CameraSettings().fps
    frame = camera.latest()
    box_w, box_h = config.CameraSettings().analysis_size
    height, width = frame.pixels.shape[:2]
    assert width <= box_w and height <= box_h and (width == box_w or height == box_h)
    still = camera.still(frame.timestamp)
    assert still is not None and still.pixels.shape[1] > frame.pixels.shape[1]  # full resolution
    assert abs(still.timestamp - frame.timestamp) < 0.1  # the ring holds that very moment


def test_auto_analysis_format_on_this_pi(camera):
    """A Pi 5 gives lores as BGR888 (bytes R,G,B: the PiSP's native RGB, and the frame needs no conversion),
    a Pi 4 only as YUV420. Prints what converting one lores buffer to RGB costs on this Pi, against
    XBGR8888's (the Pi 5's format before): ``make bench`` prints the same on the development machine."""
    from booth.camera.convert import to_rgb

    frame = camera.wait_frame(0, timeout=10)
    assert frame is not None, camera.state.fault
    lores = camera.lores
    assert lores is not None
    expected = "BGR888" if (pi_model() or "").startswith("Raspberry Pi 5") else "YUV420"
    assert lores.format == expected
    formats = {lores.format: lores.stride, "XBGR8888": lores.width * 4}
    costs = []
    for fmt, stride in formats.items():
        rows = lores.height * 3 // 2 if fmt == "YUV420" else lores.height
        buffer = np.zeros(stride * rows, np.uint8)  # the cost does not depend on the bytes
        start = time.perf_counter()
        for _ in range(50):
            to_rgb(buffer, fmt, lores.width, lores.height, stride, lores.ycbcr)
        costs.append(f"{fmt} {(time.perf_counter() - start) * 1000 / 50:.2f} ms")
    print(f"lores on {pi_model()}: {lores.width}x{lores.height} {lores.format}; to RGB: {', '.join(costs)}")


@pytest.mark.parametrize("threads", [0, 1, 2], ids=["auto", "1-thread", "2-threads"])
def test_analysis_keeps_up_on_this_pi(camera, threads):
    """The budget: analysis at 15-30 fps on a Pi 5 (one analysis thread), at the camera's own pace: each
    frame is analysed as it arrives, so idle cores sleep between frames as they do live (on the
    development VM that made two interpreter threads slower than one; ``make bench``'s paced line). Auto
    must keep up; one and two threads are printed beside it, to check the auto choice on this Pi."""
    from booth.config import VisionSettings
    from booth.vision import FacePipeline, Models, VisionParams

    params = VisionParams.from_settings(VisionSettings(threads=threads))
    pipeline = FacePipeline(Models.load(params), params)
    last, times = 0, []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = camera.wait_frame(last, timeout=2)
        assert frame is not None
        last = frame.sequence
        start = time.perf_counter()
        pipeline.analyze(frame.pixels)
        times.append(time.perf_counter() - start)
    fps = 1.0 / float(np.median(times))
    # p99 shows the frames that look for new faces (every detect_every): beside the frame when a core is
    # spare (params.look_beside), inline otherwise.
    print(
        f"analysis on {pi_model()}, {params.threads} interpreter thread(s): {fps:.1f} frames/s "
        f"(median {1000 * np.median(times):.1f} ms, p99 {1000 * np.percentile(times, 99):.1f} ms, "
        f"look beside: {params.look_beside})"
    )
    assert len(times) >= 20  # the camera kept delivering
    if threads == 0:
        assert fps >= BUDGET_FPS  # below it, the running booth warns the operator (booth/service/pace.py)


def test_fp16_hint_on_this_pi(camera):
    """``vision.precision = "fp16"`` against fp32 on the same camera frames, one interpreter thread each:
    FaceMesh v2's time per frame and how far its points move. A Pi 5's Cortex-A76 has fp16 arithmetic, so
    XNNPACK must take the hint there (the points move a little); a Pi 4's A72 has none, and both read the
    same. Under qemu-aarch64 the points moved 0.17 % of the inter-ocular distance (README, "Measured")."""
    from booth.config import VisionSettings
    from booth.evaluate_mesh import MAX_LANDMARK_IOD, landmark_distance
    from booth.vision import FacePipeline, Models, VisionParams

    pipelines = {}
    for precision in ("fp32", "fp16"):
        params = VisionParams.from_settings(VisionSettings(threads=1, precision=precision))
        pipelines[precision] = FacePipeline(Models.load(params), params)
    times: dict[str, list[float]] = {"fp32": [], "fp16": []}
    moved: list[float] = []
    last = 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        frame = camera.wait_frame(last, timeout=2)
        assert frame is not None
        last = frame.sequence
        faces = {}
        for precision, pipeline in pipelines.items():
            readings = pipeline.analyze(frame.pixels)
            if readings:
                faces[precision] = readings[0]
                times[precision].append(readings[0].timings_ms["landmarks"])
        if len(faces) == 2:
            moved.append(landmark_distance(faces["fp32"].landmarks, faces["fp16"].landmarks))
    if len(moved) < 10:
        pytest.skip("no face in front of the camera: sit in front of it for this test")
    fp32, fp16 = float(np.median(times["fp32"])), float(np.median(times["fp16"]))
    taken = max(moved) > 0
    print(
        f"FaceMesh v2 on {pi_model()}: fp32 {fp32:.1f} ms, fp16 {fp16:.1f} ms ({fp32 / fp16:.2f}x); points "
        f"moved {100 * np.mean(moved):.2f} % of the IOD (fp16 {'taken' if taken else 'not taken'})"
    )
    assert np.mean(moved) <= MAX_LANDMARK_IOD  # the landmark limit of booth eval --mesh / --fp16
    if "Raspberry Pi 5" in (pi_model() or ""):
        assert taken, "the Pi 5 has fp16 arithmetic, but XNNPACK ran fp32"


def camera_cpu(camera, resting: bool, seconds: float = 10.0) -> float:
    """The camera's conversion CPU per frame (ms) over ``seconds``, awake or at rest, with the kiosk's
    preview read 12 times a second and standby's analysis 5 times, each on its own thread."""
    camera.resting = resting
    stop = threading.Event()

    def every(period: float, read) -> None:
        while not stop.wait(period):
            read()

    readers = [
        threading.Thread(target=every, args=(1 / 12, camera.preview_jpeg), daemon=True),
        threading.Thread(target=every, args=(1 / 5, lambda: camera.latest().pixels), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        time.sleep(1)
        before = camera.cpu.snapshot()
        time.sleep(seconds)
        window = camera.cpu.snapshot() - before
    finally:
        stop.set()
        for reader in readers:
            reader.join(5)
        camera.resting = False
    assert window.frames > 0, camera.state.fault
    return 1000 * window.conversion / window.frames


def test_a_resting_camera_spends_less_on_this_pi(camera):
    """Standby puts the camera at rest: frames converted only when read, no full-resolution copies for the
    ring. Prints the camera's CPU per frame both ways (the README's figure for a Pi 4 is an estimate until
    this prints it)."""
    assert camera.wait_frame(0, timeout=10) is not None, camera.state.fault
    awake, resting = camera_cpu(camera, False), camera_cpu(camera, True)
    print(f"camera on {pi_model()}: {awake:.2f} ms CPU per frame awake, {resting:.2f} at rest")
    assert resting < awake


def watch_streams(app, paths: tuple[str, ...]) -> list[threading.Thread]:
    """One reader per stream, each on its own thread as a server worker would be, until the app stops."""

    def read(path: str) -> None:
        response = app.test_client().get(path, buffered=False)
        try:
            for _ in response.response:
                pass
        finally:
            response.close()

    threads = [threading.Thread(target=read, args=(path,), daemon=True) for path in paths]
    for thread in threads:
        thread.start()
    return threads


def moment(service) -> tuple:
    """What the booth had spent by now: its CPU split, the process's CPU, analysed frames, the time."""
    return service.cpu_split(), time.process_time(), service.health().frames, time.monotonic()


def service_split(camera, data_dir, seconds: float = 10.0) -> str:
    """The running booth on ``camera`` with mock pins, a preview viewer and an event stream (the kiosk's,
    through the page's own views): its frame rates and CPU per camera frame by stage over ``seconds``."""
    from booth.cpu_ledger import STAGES
    from booth.hardware import mock_pin_factory
    from booth.service import BoothService
    from booth.web import create_app

    settings = config.Settings()
    hardware = Hardware(settings.pins, pin_factory=mock_pin_factory())
    service = BoothService(settings, data_dir, camera=camera, hardware=hardware)
    service.start()
    app = create_app(service, {"TESTING": True})
    readers: list[threading.Thread] = []
    try:
        assert camera.wait_frame(0, timeout=30) is not None, camera.state.fault
        readers = watch_streams(app, ("/stream.mjpg", "/api/events"))
        time.sleep(3)  # warm-up: the models' first runs, the streams' first frames
        split0, cpu0, analysed0, t0 = moment(service)
        time.sleep(seconds)
        split1, cpu1, analysed1, t1 = moment(service)
    finally:
        app.extensions["booth.stopping"].set()
        service.stop()
    for reader in readers:
        reader.join(10)
    window, wall = split1 - split0, t1 - t0
    assert window.frames > 0 and all(window.seconds(stage) > 0 for stage in STAGES), window
    ms = window.ms_per_frame()
    total = 1000 * (cpu1 - cpu0) / window.frames  # the two readers' small share is in "other"
    other = total - sum(ms.values())
    split = ", ".join(f"{stage} {ms[stage]:.2f}" for stage in STAGES)
    analysed = (analysed1 - analysed0) / wall
    rates = f"camera {window.frames / wall:.1f} frames/s, analysed {analysed:.1f} frames/s"
    return f"{rates}; CPU ms per camera frame: {split}, other {other:.2f}, total {total:.2f}"


def test_the_service_loop_on_the_pi_camera_prints_its_cpu_split(tmp_path):
    """Issue 17: the booth as it runs (camera, analysis thread, preview and events) on the real camera;
    prints the analysed frames per second and the CPU split per camera frame (``-s`` shows it)."""
    from booth.camera.picam import PicameraCamera, list_cameras

    if not list_cameras():
        pytest.skip("no Pi camera connected")
    line = service_split(PicameraCamera(config.CameraSettings()), tmp_path / "data")
    print(f"service on {pi_model()}: {line}")


def test_real_pins_open_and_the_shutter_sequence_runs(monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")  # tests/conftest.py defaults it to mock
    settings = config.Settings().pins.model_copy(update={"factory": "real"})
    with Hardware(settings) as hardware:
        assert not hardware.is_mock
        release = hardware.fire(block=True)
        assert release.first_pulse_at is not None
        assert [p.line for p in hardware.pulses] == ["shutter", "focus"]


def test_analysis_frames_keep_mains_aspect(camera):
    """lores is scaled from main's crop: unless its size has main's aspect ratio, faces are squashed."""
    assert camera.wait_frame(0, timeout=10) is not None, camera.state.fault
    main, lores = camera.main, camera.lores
    assert main is not None and lores is not None
    assert lores.width / lores.height == pytest.approx(main.width / main.height, rel=0.01)


def test_yuv_is_decoded_with_the_configured_colour_space():
    """The same frame as a packed RGB main and a YUV420 lores, decoded with the matrix the configuration
    names, agree in colour (a wrong matrix shifts saturated colours by 5-20 levels)."""
    from booth.camera.convert import to_rgb
    from booth.camera.picam import _import_picamera2, configured_ycbcr, list_cameras

    if not list_cameras():
        pytest.skip("no Pi camera connected")
    picamera2 = _import_picamera2()
    with picamera2(0) as cam:
        config = cam.create_video_configuration(
            main={"size": (1280, 720), "format": "XBGR8888"}, lores={"size": (640, 360), "format": "YUV420"}
        )
        cam.configure(config)
        cam.start()
        time.sleep(1.0)  # let exposure and white balance settle
        request = cam.capture_request(wait=5.0)
        try:
            main = request.make_array("main")[:, :, :3]
            lores = request.make_buffer("lores")
        finally:
            request.release()
        actual = cam.camera_configuration()
        cam.stop()
    ycbcr = configured_ycbcr(actual)
    stream = actual["lores"]
    rgb = to_rgb(lores, "YUV420", *stream["size"], stream["stride"], ycbcr)
    # make_array gives XBGR8888 as [R, G, B, 255] per pixel (picamera2 manual); compare channel means,
    # which survive the two streams' different scaling.
    main_means = main.reshape(-1, 3).mean(axis=0)
    lores_means = rgb.reshape(-1, 3).mean(axis=0)
    assert np.abs(main_means - lores_means).max() < 4, (ycbcr.name, main_means, lores_means)


def test_a_timed_out_capture_does_not_block_the_reopen():
    """At 1 frame a second a 0.2 s capture times out, which leaves its job queued in picamera2; closing
    must still be quick (cancel_all_and_flush), as in picamera2's own tests/wait_cancel_test.py."""
    from booth.camera.picam import PicameraCamera, list_cameras

    if not list_cameras():
        pytest.skip("no Pi camera connected")
    camera = PicameraCamera(config.CameraSettings(fps=1.0))
    camera._open()
    try:
        with pytest.raises(TimeoutError):
            for _ in range(3):  # the first frames after start may already be queued
                camera._grab(0.2)
    finally:
        started = time.monotonic()
        camera._close()
    assert time.monotonic() - started < 1.0
