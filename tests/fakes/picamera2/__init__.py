"""A fake ``picamera2`` for the tests, injected through ``sys.modules`` (see tests/camera/conftest.py).

It mirrors **picamera2 0.3.38** (the PyPI wheel, read from its source; ``pip download picamera2``) wherever
booth/camera/picam.py depends on the library's behaviour, and says here where each behaviour comes from
(``picamera2/picamera2.py`` unless named otherwise). It is not the library: no libcamera, no DMA buffers, one
frame pattern per configuration. Written to catch what a fake shaped after our own code could not:

- **Opening** (``Picamera2.__init__``): the notification pipe is opened with ``os.pipe2`` *before* anything
  can fail; a camera number past ``global_camera_info()`` raises RuntimeError, and so does a camera another
  process holds (``_open_camera`` -> ``camera.acquire()``, re-raised as "Camera __init__ sequence did not
  complete."). Neither path closes the pipe: the write end (a bare fd) leaks with every failed open, the read
  end (a file object) is closed only when the half-built object is collected.
- **Sensor modes** (``sensor_modes``): the first read reconfigures the camera once per raw mode and caches
  the list on that instance only; a new ``Picamera2`` probes again. Counted in :attr:`World.mode_probes`.
- **Configurations** (``create_video_configuration``, ``_make_initial_stream_config``, ``align_stream`` with
  ``optimal=False``): main defaults to XBGR8888 1280x720 with ``preserve_ar`` True; lores defaults to YUV420
  at main's size with ``preserve_ar`` False; the colour space, when not given, is ``Smpte170m`` for a main
  narrower than 1280 or lower than 720 and ``Rec709`` otherwise, and lores gets the same one
  (``_make_libcamera_config``). ``configure`` refuses while started, a lores larger than main, and a non-YUV
  lores on a Pi 4 (``check_camera_config``: "lores stream must be YUV"), fills in ``stride`` and
  ``framesize`` (``_update_stream_config``) and reads the colour space back (``utils.colour_space_from_
  libcamera``). Colour spaces are objects with ``primaries``, ``transferFunction``, ``ycbcrEncoding`` and
  ``range``, enum members with a ``.name`` as libcamera's pybind11 binding gives them (libcamera
  ``src/py/libcamera/py_color_space.cpp``: ``YcbcrEncoding`` Null/Rec601/Rec709/Rec2020, ``Range``
  Full/Limited).
- **The crop**: main shows the largest centred part of the sensor with main's aspect ratio; lores is scaled
  from *main's* crop to its own size (a Pi 4 has one crop for both ISP outputs; on a Pi 5 ``configure`` sets
  ``ScalerCrops`` with lores taking main's crop when its ``preserve_ar`` is False, the default). A lores of
  another aspect ratio is therefore squashed, as on the Pi.
- **YUV420 buffers** are encoded with the configured colour space's matrix and range.
- **The event loop and jobs** (``start`` -> ``start_preview(False)`` -> ``NullPreview``; ``process_requests``,
  ``dispatch_functions``, ``job.Job``): a loop thread completes one request a frame and runs the job list
  strictly in order, once per completed request or prod. ``capture_request(wait=s)`` queues a job and
  waits for it with a timeout: on timeout ``TimeoutError`` (``concurrent.futures.TimeoutError`` is the
  builtin on Python 3.11) and **the job stays in the list**. ``stop()`` with the loop running queues
  ``stop_`` behind it and waits with no timeout, so behind a stuck capture it never returns;
  ``cancel_all_and_flush()`` cancels and drops every job first (upstream ``tests/wait_cancel_test.py``).
  ``close()`` stops the loop first and then stops the camera directly.
- **Requests** (``request.CompletedRequest``): ``make_buffer(name)`` copies the flat buffer (the copies
  counted per stream in :attr:`World.buffers_made`), ``get_metadata()`` has ``ScalerCrop`` and
  ``SensorTimestamp``, ``release()`` returns the buffer. With every buffer held by the application, no
  frame completes (a stall, not an error).

The hardware's moods are knobs on :data:`WORLD`: cameras listed, the platform (``"vc4"`` Pi 4 or ``"pisp"``
Pi 5), sensor size and modes, ``stalled`` (frames stop, like a dislodged ribbon cable), ``busy`` (another
process holds the camera) and ``has_af``. Row padding bytes are 0xAB, and every stride is padded beyond the
hardware's alignment, so a converter that ignores the stride shows it. One check is the fake's own, not the
library's: ``capture_request`` asserts a timeout is passed (the booth must never wait forever).
"""

from __future__ import annotations

import collections
import copy
import enum
import os
import threading
import time
from concurrent.futures import CancelledError, Future
from typing import Any

import numpy as np

__all__ = ["WORLD", "CancelledError", "ColorSpace", "Picamera2", "TimeoutError", "reset"]

TimeoutError = TimeoutError  # picamera2/__init__.py re-exports concurrent.futures.TimeoutError, the builtin
PAD = 0xAB
#: The colour of the disc at the centre of the scene: a skin tone, a "known colour patch".
PATCH = (214, 158, 128)


# --- libcamera's colour spaces (py_color_space.cpp) ---------------------------------------------------------


class Primaries(enum.Enum):
    Raw = 0
    Smpte170m = 1
    Rec709 = 2
    Rec2020 = 3


class TransferFunction(enum.Enum):
    Linear = 0
    Srgb = 1
    Rec709 = 2


class YcbcrEncoding(enum.Enum):
    Null = 0
    Rec601 = 1
    Rec709 = 2
    Rec2020 = 3


class Range(enum.Enum):
    Full = 0
    Limited = 1


class ColorSpace:
    """libcamera.ColorSpace: four read-write fields and the named constructors picamera2 uses."""

    Primaries = Primaries
    TransferFunction = TransferFunction
    YcbcrEncoding = YcbcrEncoding
    Range = Range

    def __init__(
        self,
        primaries: Primaries,
        transferFunction: TransferFunction,  # libcamera's names
        ycbcrEncoding: YcbcrEncoding,
        range: Range,
    ) -> None:
        self.primaries = primaries
        self.transferFunction = transferFunction
        self.ycbcrEncoding = ycbcrEncoding
        self.range = range

    @staticmethod
    def Sycc() -> ColorSpace:
        return ColorSpace(Primaries.Rec709, TransferFunction.Srgb, YcbcrEncoding.Rec601, Range.Full)

    @staticmethod
    def Smpte170m() -> ColorSpace:
        return ColorSpace(Primaries.Smpte170m, TransferFunction.Rec709, YcbcrEncoding.Rec601, Range.Limited)

    @staticmethod
    def Rec709() -> ColorSpace:
        return ColorSpace(Primaries.Rec709, TransferFunction.Rec709, YcbcrEncoding.Rec709, Range.Limited)

    def _key(self) -> tuple:
        return (self.primaries, self.transferFunction, self.ycbcrEncoding, self.range)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColorSpace) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        names = {
            ColorSpace.Sycc(): "sYCC",
            ColorSpace.Smpte170m(): "SMPTE170M",
            ColorSpace.Rec709(): "Rec709",
        }
        return f"<libcamera.ColorSpace '{names.get(self, 'custom')}'>"


#: (Kr, Kb) of each YCbCr matrix, the standards' published figures.
MATRICES = {YcbcrEncoding.Rec601: (0.299, 0.114), YcbcrEncoding.Rec709: (0.2126, 0.0722)}


# --- the world ----------------------------------------------------------------------------------------------


class World:
    """What the fake camera hardware is doing right now; tests flip these."""

    def __init__(self) -> None:
        self.cameras: list[dict] = [{"Model": "imx708", "Num": 0, "Id": "/base/soc/i2c0mux/i2c@1/imx708@1a"}]
        self.platform = "pisp"  # "vc4" (Pi 4) only gives lores as YUV
        self.sensor = (1280, 720)
        self.modes: list[dict] = [{"size": (1280, 720), "fps": 60.0}, {"size": (640, 360), "fps": 120.0}]
        self.has_af = True
        self.stalled = False  # frames stop arriving (a dislodged ribbon cable, a wedged ISP)
        self.busy = False  # another process holds the camera: Picamera2() fails
        self.interval = 0.004  # seconds between frames
        self.mode_probes = 0  # configurations done by reading sensor_modes
        self.buffers_made: collections.Counter[str] = collections.Counter()  # make_buffer copies, by stream
        self.instances: list[Picamera2] = []
        self.lock = threading.Lock()


WORLD = World()


def reset() -> None:
    """Power the fake off and on: every camera's loop ends and its jobs are cancelled, so nothing a test
    left blocked (a stop() behind a stuck capture) outlives it; then one healthy camera on a Pi 5."""
    for camera in list(WORLD.instances):
        camera._power_off()
    WORLD.__init__()


# --- the scene and the encoder ------------------------------------------------------------------------------


def main_crop(main_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest centred sensor rectangle with main's aspect ratio (x, y, w, h in sensor pixels)."""
    sw, sh = WORLD.sensor
    mw, mh = main_size
    if sw * mh > sh * mw:  # sensor wider than main: crop the sides
        w, h = round(sh * mw / mh), sh
    else:
        w, h = sw, round(sw * mh / mw)
    return (sw - w) // 2, (sh - h) // 2, w, h


def scene(
    width: int,
    height: int,
    crop: tuple[int, int, int, int],
    sensor: tuple[int, int] | None = None,
    disc: bool = True,
) -> np.ndarray:
    """What a stream of ``width`` x ``height`` shows of the sensor rectangle ``crop``, as RGB.

    Smooth gradients over the whole sensor (so 4:2:0 chroma subsampling loses little), and a round disc of
    :data:`PATCH` at the sensor's centre with a soft edge (about eight output pixels wide, so chroma
    subsampling stays close there too): round on the sensor, so round in any stream that keeps the sensor's
    geometry and an ellipse in one that squashes it.
    """
    sw, sh = sensor or WORLD.sensor
    cx, cy, cw, ch = crop
    xs = cx + (np.arange(width, dtype=np.float32) + 0.5) * (cw / width)
    ys = cy + (np.arange(height, dtype=np.float32) + 0.5) * (ch / height)
    u = (xs / sw)[None, :]
    v = (ys / sh)[:, None]
    rgb = np.empty((height, width, 3), np.float32)
    rgb[:, :, 0] = 40 + 170 * u + 0 * v
    rgb[:, :, 1] = 30 + 180 * v + 0 * u
    rgb[:, :, 2] = 200 - 120 * u * v
    if disc:
        radius = 0.3 * sh
        distance = np.hypot(xs[None, :] - sw / 2, ys[:, None] - sh / 2)
        edge = 8.0 * max(cw / width, ch / height)
        alpha = np.clip((radius - distance) / edge + 0.5, 0.0, 1.0)[..., None]
        rgb = rgb * (1 - alpha) + np.array(PATCH, np.float32) * alpha
    return np.clip(rgb.round(), 0, 255).astype(np.uint8)


def pattern(width: int, height: int) -> np.ndarray:
    """The scene's gradients without the disc, at any size (for converter tests that need a smooth image)."""
    return scene(width, height, (0, 0, width, height), (width, height), disc=False)


def _align(n: int, to: int = 64) -> int:
    return (n + to - 1) // to * to


def _padded(plane: np.ndarray, stride: int) -> np.ndarray:
    rows = np.full((plane.shape[0], stride), PAD, np.uint8)
    rows[:, : plane.shape[1]] = plane
    return rows.ravel()


def encode(rgb: np.ndarray, fmt: str, stride: int, colour_space: ColorSpace | None = None) -> np.ndarray:
    """Lay RGB out in memory as the ISP would: YUV420 by the colour space's matrix and range (Smpte170m,
    i.e. BT.601 limited range, when none is given), packed formats by picamera2's byte orders."""
    if fmt == "YUV420":
        space = colour_space or ColorSpace.Smpte170m()
        kr, kb = MATRICES[space.ycbcrEncoding]
        f = rgb.astype(np.float32) / 255.0
        y = kr * f[..., 0] + (1 - kr - kb) * f[..., 1] + kb * f[..., 2]
        cb = (f[..., 2] - y) / (2 * (1 - kb))
        cr = (f[..., 0] - y) / (2 * (1 - kr))
        if space.range is Range.Limited:
            y, cb, cr = 16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr
        else:
            y, cb, cr = 255 * y, 128 + 255 * cb, 128 + 255 * cr
        h, w = y.shape
        cb = cb.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        cr = cr.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        planes = [np.clip(p.round(), 0, 255).astype(np.uint8) for p in (y, cb, cr)]
        return np.concatenate(
            [_padded(planes[0], stride), _padded(planes[1], stride // 2), _padded(planes[2], stride // 2)]
        )
    order = {
        "XBGR8888": [0, 1, 2, None],
        "XRGB8888": [2, 1, 0, None],
        "BGR888": [0, 1, 2],
        "RGB888": [2, 1, 0],
    }
    channels = [rgb[..., c] if c is not None else np.full(rgb.shape[:2], 255, np.uint8) for c in order[fmt]]
    packed = np.stack(channels, axis=-1).reshape(rgb.shape[0], -1)
    return _padded(packed, stride)


BYTES_PER_PIXEL = {"YUV420": 1, "XBGR8888": 4, "XRGB8888": 4, "BGR888": 3, "RGB888": 3}


# --- jobs (picamera2/job.py) --------------------------------------------------------------------------------


class Job:
    """A list of steps the event loop runs, one call per loop trip, until each says it is done."""

    def __init__(self, functions: list) -> None:
        self._functions = list(functions)
        self._future: Future = Future()
        self._future.set_running_or_notify_cancel()
        self._result: Any = None

    def execute(self) -> bool:
        try:
            while self._functions:
                done, result = self._functions[0]()
                if not done:
                    break
                self._functions.pop(0)
                self._result = result
        except Exception as err:
            self._future.set_exception(err)
            self._functions = []
        return not self._functions

    def signal(self) -> None:
        if not self._future.done():
            self._future.set_result(self._result)

    def get_result(self, timeout: float | None = None) -> Any:
        return self._future.result(timeout=timeout)

    def cancel(self) -> None:
        if not self._future.done():
            self._future.set_exception(CancelledError())


# --- requests (picamera2/request.py) ------------------------------------------------------------------------


class CompletedRequest:
    def __init__(self, camera: Picamera2, buffers: dict[str, np.ndarray], metadata: dict) -> None:
        self._camera = camera
        self._buffers = buffers
        self._metadata = metadata
        self.released = False

    def make_buffer(self, name: str) -> np.ndarray:
        assert not self.released, "make_buffer after release"
        WORLD.buffers_made[name] += 1
        return self._buffers[name].copy()

    def get_metadata(self) -> dict:
        return dict(self._metadata)

    def release(self) -> None:
        assert not self.released, "request released twice"
        self.released = True
        with self._camera._buffers_lock:
            self._camera.outstanding -= 1


# --- the camera ---------------------------------------------------------------------------------------------


class Picamera2:
    @staticmethod
    def global_camera_info() -> list[dict]:
        return [dict(c) for c in WORLD.cameras]

    def __init__(self, camera_num: int = 0) -> None:
        # As upstream: the pipe first, then the checks that can fail without closing it.
        self.notifyme_r, self.notifyme_w = os.pipe2(os.O_NONBLOCK)
        self.notifymeread = os.fdopen(self.notifyme_r, "rb")
        self._preview: threading.Thread | None = None
        self.is_open = False
        if camera_num >= len(self.global_camera_info()):
            raise RuntimeError(
                f'No camera number {camera_num} found - use "rpicam-hello --list-cameras" to check connected '
                "cameras"
            )
        self.camera_num = self.global_camera_info()[camera_num]["Num"]
        if WORLD.busy:
            try:
                raise RuntimeError("Failed to acquire camera: Device or resource busy")
            except RuntimeError as err:
                raise RuntimeError("Camera __init__ sequence did not complete.") from err
        self.lock = threading.Lock()  # protects _job_list and completed_requests, as upstream
        self._buffers_lock = threading.Lock()
        self._job_list: list[Job] = []
        self.completed_requests: list[CompletedRequest] = []
        self._max_queue_len = 1
        self._prod = threading.Event()
        self._abort = threading.Event()
        self.sensor_modes_: list[dict] = []
        self.camera_config: dict | None = None
        self.started = False
        self.closed = False
        self.controls: list[dict] = []
        self.outstanding = 0  # buffers held by the application or queued in completed_requests
        self.frames = 0
        self._encoded: dict[str, np.ndarray] = {}
        self._rgb: dict[str, np.ndarray] = {}
        self.is_open = True
        WORLD.instances.append(self)

    # -- properties ------------------------------------------------------------------------------------------

    @property
    def sensor_resolution(self) -> tuple[int, int]:
        return WORLD.sensor

    @property
    def sensor_modes(self) -> list[dict]:
        if self.sensor_modes_:
            return self.sensor_modes_
        for mode in WORLD.modes:
            # Upstream configures a preview configuration with this raw mode to read its limits.
            self.configure(self.create_preview_configuration(raw={"size": mode["size"]}))
            WORLD.mode_probes += 1
            self.sensor_modes_.append(
                {
                    "format": "SRGGB10_CSI2P",
                    "bit_depth": 10,
                    "size": tuple(mode["size"]),
                    "fps": mode["fps"],
                    "crop_limits": (0, 0, *WORLD.sensor),
                    "exposure_limits": (26, 112015443, None),
                }
            )
        return self.sensor_modes_

    @property
    def camera_properties(self) -> dict:
        return {
            "Model": WORLD.cameras[0]["Model"] if WORLD.cameras else "?",
            "PixelArraySize": WORLD.sensor,
            "ScalerCropMaximum": (0, 0, *WORLD.sensor),
        }

    @property
    def camera_controls(self) -> dict:
        controls = {"FrameDurationLimits": (33333, 120000, 33333), "ExposureTime": (100, 1000000, 20000)}
        if WORLD.has_af:
            controls.update(
                AfMode=(0, 2, 0), LensPosition=(0.0, 15.0, 1.0), AfMetering=(0, 1, 0), AfWindows=None
            )
        return controls

    # -- configuration ---------------------------------------------------------------------------------------

    @staticmethod
    def _stream(defaults: dict, updates: dict | None) -> dict | None:
        if updates is None:
            return None
        stream = {**defaults, **updates}
        width, height = stream["size"]
        stream["size"] = (width - width % 2, height - height % 2)  # align_stream(optimal=False)
        return stream

    def create_preview_configuration(self, main=None, lores=None, raw=None) -> dict:
        config = self.create_video_configuration(main=main or {"size": (640, 480)}, lores=lores)
        config["use_case"] = "preview"
        config["raw"] = raw
        return config

    def create_video_configuration(
        self,
        main=None,
        lores=None,
        colour_space=None,
        buffer_count=6,
        controls=None,
        display="main",
        encode="main",
    ) -> dict:
        main = self._stream({"format": "XBGR8888", "size": (1280, 720), "preserve_ar": True}, main or {})
        assert main is not None
        lores = self._stream({"format": "YUV420", "size": main["size"], "preserve_ar": False}, lores)
        if colour_space is None:
            small = main["size"][0] < 1280 or main["size"][1] < 720
            colour_space = ColorSpace.Smpte170m() if small else ColorSpace.Rec709()
        return {
            "use_case": "video",
            "colour_space": colour_space,
            "buffer_count": buffer_count,
            "queue": True,
            "main": main,
            "lores": lores,
            "raw": None,
            "controls": dict(controls or {}),
            "display": display,
            "encode": encode,
        }

    def configure(self, config: dict) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        config = copy.deepcopy(config)
        lores, main = config["lores"], config["main"]
        if lores is not None:
            if lores["size"][0] > main["size"][0] or lores["size"][1] > main["size"][1]:
                raise RuntimeError("lores stream dimensions may not exceed main stream")
            if WORLD.platform == "vc4" and lores["format"] not in ("YUV420", "YVU420"):
                raise RuntimeError("lores stream must be YUV")
        crop = main_crop(main["size"])
        space = config["colour_space"]
        # colour_space_from_libcamera: back to the table entry with the same primaries and transfer function.
        for known in (ColorSpace.Sycc(), ColorSpace.Smpte170m(), ColorSpace.Rec709()):
            if (space.primaries, space.transferFunction) == (known.primaries, known.transferFunction):
                config["colour_space"] = known
        self._encoded, self._rgb = {}, {}
        for name in ("main", "lores"):
            stream = config[name]
            if stream is None:
                continue
            width, height = stream["size"]
            stride = _align(width * BYTES_PER_PIXEL[stream["format"]]) + 64  # always some padding
            stream["stride"] = stride
            planes = 1.5 if stream["format"] == "YUV420" else 1.0  # I420: Y, then U and V at a quarter each
            stream["framesize"] = int(stride * height * planes)
            # Upstream's lores with preserve_ar False (and any lores on a Pi 4) takes main's crop.
            rgb = scene(width, height, crop)
            self._rgb[name] = rgb
            self._encoded[name] = encode(rgb, stream["format"], stride, config["colour_space"])
        self._crop = crop
        self._max_queue_len = 1 if config.get("queue", True) and config["buffer_count"] > 1 else 0
        self.camera_config = config

    def camera_configuration(self) -> dict:
        assert self.camera_config is not None
        return copy.deepcopy(self.camera_config)

    def shown(self, name: str) -> np.ndarray:
        """Test helper, not picamera2: the RGB image stream ``name`` carries in the current configuration."""
        return self._rgb[name].copy()

    # -- the event loop --------------------------------------------------------------------------------------

    def start(self) -> None:
        if not self.camera_config:
            raise RuntimeError("Camera has not been configured")
        if self._preview is None:  # start(show_preview=False) starts a NullPreview loop
            self._abort.clear()
            self._preview = threading.Thread(target=self._loop, name="fake-picamera2-loop", daemon=True)
            self._preview.start()
        self.started = True

    def _loop(self) -> None:
        next_frame = time.monotonic()
        while not self._abort.is_set():
            prodded = self._prod.wait(max(0.0, next_frame - time.monotonic()))
            if prodded:
                # Clear only a prod this trip saw. picamera2 prods through a pipe (``dispatch_functions``
                # writes a byte to ``notifyme_w``; ``NullPreview.thread_func`` selects on it), which loses
                # nothing: a prod landing after a timed-out wait is read on the next trip. Clearing it
                # unseen lost ``stop()``'s job on a stalled camera, where no frame comes to run it.
                self._prod.clear()
            if self._abort.is_set():
                break
            new: list[CompletedRequest] = []
            if time.monotonic() >= next_frame:
                next_frame = time.monotonic() + WORLD.interval
                request = self._complete_request()
                if request is not None:
                    new.append(request)
            if new or prodded:
                self._process_requests(new)

    def _complete_request(self) -> CompletedRequest | None:
        assert self.camera_config is not None
        if not self.started or WORLD.stalled:
            return None
        with self._buffers_lock:
            if self.outstanding >= self.camera_config["buffer_count"]:
                return None  # every buffer is held: libcamera has nothing to fill
            self.outstanding += 1
        self.frames += 1
        metadata = {"ScalerCrop": self._crop, "SensorTimestamp": time.monotonic_ns()}
        return CompletedRequest(self, self._encoded, metadata)

    def _process_requests(self, new: list[CompletedRequest]) -> None:
        finished = []
        with self.lock:
            self.completed_requests += new
            while self._job_list:
                if not self._job_list[0].execute():
                    break
                finished.append(self._job_list.pop(0))
            while len(self.completed_requests) > self._max_queue_len:
                self.completed_requests.pop(0).release()
        for job in finished:
            job.signal()

    def dispatch_functions(self, functions: list, wait: Any, immediate: bool = False) -> Any:
        timeout = None if wait is True else wait
        with self.lock:
            only_job = not self._job_list
            job = Job(functions)
            self._job_list.append(job)
            if only_job and (self.completed_requests or immediate):
                self._prod.set()
        return job.get_result(timeout=timeout) if wait else job

    def cancel_all_and_flush(self) -> None:
        with self.lock:
            for job in self._job_list:
                job.cancel()
            self._job_list = []

    # -- capture ---------------------------------------------------------------------------------------------

    def _capture_request_(self) -> tuple[bool, CompletedRequest | None]:
        if not self.completed_requests:
            return False, None
        return True, self.completed_requests.pop(0)

    def capture_request(self, wait=None) -> CompletedRequest:
        assert isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait > 0, (
            "the booth must always pass a timeout"  # the fake's own check, not picamera2's
        )
        return self.dispatch_functions([self._capture_request_], wait)

    # -- stop and close --------------------------------------------------------------------------------------

    def _stop_(self) -> tuple[bool, None]:
        if self.started:
            self.started = False
            while self.completed_requests:
                self.completed_requests.pop(0).release()
        return True, None

    def stop(self) -> None:
        if not self.started:
            return
        if self._preview is not None:
            self.dispatch_functions([self._stop_], wait=True, immediate=True)
        else:
            self._stop_()

    def close(self) -> None:
        self._stop_preview()
        if not self.is_open:
            return
        self.stop()
        self.is_open = False
        self.closed = True
        self.notifymeread.close()
        os.close(self.notifyme_w)

    def _stop_preview(self) -> None:
        thread, self._preview = self._preview, None
        if thread is not None:
            self._abort.set()
            self._prod.set()
            thread.join(timeout=5)

    def _power_off(self) -> None:
        """Test teardown only: end the loop and fail every waiting job, as pulling the power would."""
        if getattr(self, "_job_list", None) is None:
            return
        self.cancel_all_and_flush()
        self._stop_preview()

    def set_controls(self, controls: dict) -> None:
        unknown = set(controls) - set(self.camera_controls)
        if unknown:
            raise RuntimeError(f"Control {sorted(unknown)[0]} is not advertised by libcamera")
        self.controls.append(dict(controls))
