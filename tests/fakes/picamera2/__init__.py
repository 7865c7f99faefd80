"""A fake ``picamera2`` for tests, injected through ``sys.modules`` (see tests/camera/conftest.py).

It implements exactly the subset booth/camera/picam.py uses, with picamera2's names and shapes:
``Picamera2.global_camera_info()``, ``Picamera2(camera_num)``, ``.sensor_resolution``, ``.sensor_modes``
(``size`` and ``fps`` of each mode),
``.camera_properties["ScalerCropMaximum"]``, ``.camera_controls``, ``.create_video_configuration(main=,
lores=, buffer_count=, controls=, display=, encode=)``, ``.configure()`` (fills ``stride`` per stream
and, like a Pi 4's ISP, refuses a non-YUV lores stream when ``WORLD.platform == "vc4"``),
``.camera_configuration()``, ``.start()``, ``.stop()``, ``.close()``, ``.set_controls()``,
``.capture_request(wait=seconds)`` and the request's ``.make_buffer(name)``, ``.get_metadata()``
(``ScalerCrop``), ``.release()``.

Buffers are real: a known RGB pattern (:func:`pattern`) encoded into the configured format with padded rows
(padding bytes are 0xAB, so a converter that ignores the stride shows it). The hardware's moods are knobs on
:data:`WORLD`: no camera listed, unplugged (requests fail), stalled (requests time out), and no autofocus.
"""

from __future__ import annotations

import copy
import threading
import time

import numpy as np

PAD = 0xAB


class World:
    """What the fake camera hardware is doing right now; tests flip these."""

    def __init__(self) -> None:
        self.cameras: list[dict] = [{"Model": "imx708", "Num": 0, "Id": "/base/soc/i2c0mux/i2c@1/imx708@1a"}]
        self.platform = "pisp"  # "vc4" (Pi 4) only gives lores as YUV420
        self.sensor = (1280, 720)
        self.modes: list[dict] = [{"size": (1280, 720), "fps": 60.0}, {"size": (640, 360), "fps": 120.0}]
        self.has_af = True
        self.unplugged = False
        self.stalled = False
        self.interval = 0.004  # seconds between frames
        self.instances: list[Picamera2] = []
        self.lock = threading.Lock()


WORLD = World()


def reset() -> None:
    """Back to one healthy camera with autofocus on a Pi 5."""
    WORLD.__init__()


def pattern(width: int, height: int) -> np.ndarray:
    """Smooth RGB gradients (so 4:2:0 chroma subsampling loses little), distinct in each channel."""
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[:, :, 0] = 40 + 170 * x + 0 * y
    rgb[:, :, 1] = 30 + 180 * y + 0 * x
    rgb[:, :, 2] = 200 - 120 * x * y
    return rgb


def _align(n: int, to: int = 64) -> int:
    return (n + to - 1) // to * to


def _padded(plane: np.ndarray, stride: int) -> np.ndarray:
    rows = np.full((plane.shape[0], stride), PAD, np.uint8)
    rows[:, : plane.shape[1]] = plane
    return rows.ravel()


def encode(rgb: np.ndarray, fmt: str, stride: int) -> np.ndarray:
    """Encode RGB as the camera would lay it out in memory (BT.601 limited range for YUV420)."""
    if fmt == "YUV420":
        f = rgb.astype(np.float32)
        r, g, b = f[..., 0], f[..., 1], f[..., 2]
        y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
        u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
        v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
        h, w = y.shape
        u2 = u.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        v2 = v.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        planes = [np.clip(p.round(), 0, 255).astype(np.uint8) for p in (y, u2, v2)]
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


class CompletedRequest:
    def __init__(self, camera: Picamera2, buffers: dict[str, np.ndarray], metadata: dict) -> None:
        self._camera = camera
        self._buffers = buffers
        self._metadata = metadata
        self.released = False

    def make_buffer(self, name: str) -> np.ndarray:
        assert not self.released, "make_buffer after release"
        return self._buffers[name].copy()

    def get_metadata(self) -> dict:
        return dict(self._metadata)

    def release(self) -> None:
        assert not self.released, "request released twice"
        self.released = True
        with WORLD.lock:
            self._camera.outstanding -= 1


class Picamera2:
    @staticmethod
    def global_camera_info() -> list[dict]:
        return [dict(c) for c in WORLD.cameras]

    def __init__(self, camera_num: int = 0) -> None:
        self.camera_num = self.global_camera_info()[camera_num]["Num"]  # IndexError, like picamera2
        self.camera_config: dict | None = None
        self.started = False
        self.closed = False
        self.controls: list[dict] = []
        self.outstanding = 0
        self.frames = 0
        self._encoded: dict[str, np.ndarray] = {}
        WORLD.instances.append(self)

    @property
    def sensor_resolution(self) -> tuple[int, int]:
        return WORLD.sensor

    @property
    def sensor_modes(self) -> list[dict]:
        return [dict(m) for m in WORLD.modes]

    @property
    def camera_properties(self) -> dict:
        return {
            "Model": WORLD.cameras[0]["Model"] if WORLD.cameras else "?",
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

    def create_video_configuration(
        self, main=None, lores=None, buffer_count=6, controls=None, display="main", encode="main"
    ) -> dict:
        return {
            "use_case": "video",
            "main": dict(main or {"size": (1280, 720), "format": "XBGR8888"}),
            "lores": dict(lores) if lores else None,
            "buffer_count": buffer_count,
            "controls": dict(controls or {}),
            "display": display,
            "encode": encode,
        }

    def configure(self, config: dict) -> None:
        assert not self.started, "configure while started"
        lores = config["lores"]
        if WORLD.platform == "vc4" and lores and lores["format"] != "YUV420":
            raise RuntimeError("lores stream must be YUV")
        config = copy.deepcopy(config)
        for name in ("main", "lores"):
            stream = config[name]
            if stream is None:
                continue
            width, height = stream["size"]
            stride = _align(width * BYTES_PER_PIXEL[stream["format"]]) + 64  # always some padding
            stream["stride"] = stride
            self._encoded[name] = encode(pattern(width, height), stream["format"], stride)
        self.camera_config = config

    def camera_configuration(self) -> dict:
        assert self.camera_config is not None
        return copy.deepcopy(self.camera_config)

    def start(self) -> None:
        assert self.camera_config is not None, "start before configure"
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.started = False
        self.closed = True

    def set_controls(self, controls: dict) -> None:
        unknown = set(controls) - set(self.camera_controls)
        if unknown:
            raise RuntimeError(f"Control {sorted(unknown)[0]} is not advertised by libcamera")
        self.controls.append(dict(controls))

    def capture_request(self, wait=None) -> CompletedRequest:
        assert self.started, "capture_request before start"
        assert isinstance(wait, (int, float)) and wait > 0, "the booth must always pass a timeout"
        if WORLD.unplugged:
            time.sleep(WORLD.interval)
            raise RuntimeError("Camera frontend has timed out!")
        if WORLD.stalled:
            time.sleep(wait)
            raise TimeoutError
        with WORLD.lock:
            if self.outstanding >= self.camera_config["buffer_count"]:
                raise RuntimeError("all buffers are held by the application; release your requests")
            self.outstanding += 1
        time.sleep(WORLD.interval)
        self.frames += 1
        width, height = WORLD.sensor
        metadata = {"ScalerCrop": (0, 0, width, height), "SensorTimestamp": time.monotonic_ns()}
        return CompletedRequest(self, self._encoded, metadata)
