"""Raspberry Pi camera through picamera2: two streams from one sensor mode, and the lens.

The only module that imports picamera2, and only inside functions: importing it off a Pi fails, and on a
Pi it starts libcamera. Two streams from one configuration: ``lores`` feeds the models (YUV420 on a Pi 4,
whose ISP gives lores only as YUV; BGR888 on a Pi 5, see :data:`AUTO_FORMATS`), ``main`` at full
resolution in YUV420 (1.5 bytes a pixel, half of RGB) fills the ring buffer, converted to RGB only when a
still is asked for. Both come from the same sensor mode, so a still needs no mode switch (0.5-1.5 s).

What the library does that this module has to answer (read from picamera2 0.3.38; the test fake
``tests/fakes/picamera2`` mirrors each point and cites where it comes from):

- **lores takes main's crop.** It is scaled from main's field of view to its own size, not cropped to its
  own aspect ratio, so a 640x480 lores under a 16:9 main squeezes faces to 75 % of their width. The lores
  size is therefore fitted to main's aspect inside ``analysis_size`` (16:9 in 640x480 gives 640x360).
- **The colour space depends on main's size.** ``create_video_configuration`` picks Rec709 (BT.709,
  limited range) for a main of at least 1280x720 and SMPTE170M (BT.601) below that, and lores shares it. The
  configured colour space is read back and YUV is decoded with its matrix.
- **A timed-out capture stays queued.** ``capture_request(wait=s)`` raises TimeoutError but leaves its job
  in the camera's job list, and ``stop()`` queues behind it and waits forever. So the camera is always
  closed with ``cancel_all_and_flush()`` first, picamera2's own answer for a dislodged cable.
- **A failed open leaks a pipe.** ``Picamera2()`` opens its notification pipe before it can fail (camera
  held by another process, say) and never closes it; the reopen loop would climb toward the fd limit. The
  half-built object's pipe is closed here.
- **Reading ``sensor_modes`` reconfigures the camera once per mode** (seconds on a Camera Module 3), and
  each new ``Picamera2`` reads them afresh; the still size chosen from them is kept per camera model.

picamera2 subset used: ``Picamera2.global_camera_info()``, ``Picamera2(camera_num)``,
``.sensor_resolution``, ``.sensor_modes`` (``size``, ``fps``), ``.camera_properties``
(``ScalerCropMaximum``), ``.camera_controls``, ``.create_video_configuration(main=, lores=, buffer_count=,
controls=, display=, encode=)``, ``.configure()``, ``.camera_configuration()`` (``size``, ``format``,
``stride`` per stream; ``colour_space``), ``.start()``, ``.stop()``, ``.cancel_all_and_flush()``,
``.close()``, ``.set_controls()``, ``.capture_request(wait=seconds)`` (raises TimeoutError), and on the
request ``.make_buffer(name)``, ``.get_metadata()`` (``ScalerCrop``), ``.release()``. libcamera enums are
passed as their integer values, and colour spaces read by their members' names, so ``libcamera`` itself is
not imported.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from booth.camera.base import Box, Camera, Focus, Grab
from booth.camera.convert import BT601_LIMITED, BT709_LIMITED, YCbCr, to_rgb, ycbcr_named
from booth.config import CameraSettings
from booth.errors import CameraFault

log = logging.getLogger(__name__)

# libcamera control values (controls::AfModeEnum, controls::AfMeteringEnum).
AF_MODE_MANUAL = 0
AF_MODE_CONTINUOUS = 2
AF_METERING_AUTO = 0
AF_METERING_WINDOWS = 1
#: Analysis formats tried in order for ``analysis_format = "auto"``: the Pi 5 takes the first, a Pi 4 refuses
#: it (its lores stream is YUV only: picamera2's ``check_camera_config``) and takes the second. BGR888 is
#: bytes R,G,B, the models' own layout, so the frame is the buffer ``make_buffer`` copied out, with no
#: conversion at all (a 640-wide row is 1920 bytes, already aligned). It is also what the Pi 5's ISP writes
#: natively: libcamera's PiSP pipeline (``adjustDeviceFormat``) has the BCM2712 C0's back end, which has no
#: 32-bit RGB output, write XBGR8888 as 24-bit and widens it to 32 bits on the CPU afterwards, which the
#: conversion would then narrow again (0.14-0.22 ms for 640x360 on this development machine, `make bench`).
AUTO_FORMATS = ("BGR888", "YUV420")
FIX_INSTALL = (
    "on Raspberry Pi OS run `sudo apt install python3-picamera2` and make the venv with "
    "--system-site-packages (`make` does), or choose --camera usb:N / replay:PATH"
)


@dataclass(frozen=True)
class StreamInfo:
    """What a flat buffer of one stream means: format, size, row stride in bytes, and for YUV the
    colour encoding."""

    format: str
    width: int
    height: int
    stride: int
    ycbcr: YCbCr = BT601_LIMITED

    def to_rgb(self, buffer: np.ndarray) -> np.ndarray:
        return to_rgb(buffer, self.format, self.width, self.height, self.stride, self.ycbcr)


def _import_picamera2() -> Any:
    try:
        from picamera2 import Picamera2
    except ImportError as err:
        raise CameraFault(f"picamera2 is not importable ({err}); {FIX_INSTALL}") from None
    return Picamera2


def list_cameras() -> list[dict]:
    """Cameras libcamera lists (empty off a Pi, or with no camera attached); never raises."""
    try:
        picamera2 = _import_picamera2()
        return list(picamera2.global_camera_info())
    except CameraFault as err:
        log.debug("%s", err)
    except Exception:  # a broken libcamera install must not stop the booth choosing another camera
        log.debug("picamera2: listing cameras failed", exc_info=True)
    return []


def _stream_info(config: dict, name: str, ycbcr: YCbCr) -> StreamInfo:
    stream = config[name]
    width, height = stream["size"]
    return StreamInfo(stream["format"], int(width), int(height), int(stream["stride"]), ycbcr)


def configured_ycbcr(config: dict) -> YCbCr:
    """The YCbCr encoding of a configuration's YUV streams, from its ``colour_space``.

    libcamera's ColorSpace carries ``ycbcrEncoding`` and ``range`` as pybind11 enum members, read here by
    name. Should a future picamera2 give something else, picamera2's own default rule is the best guess
    (Rec709 from 1280x720 up), and the log says so.
    """
    space = config.get("colour_space")
    encoding = getattr(getattr(space, "ycbcrEncoding", None), "name", None)
    range_ = getattr(getattr(space, "range", None), "name", None)
    found = ycbcr_named(str(encoding), str(range_))
    if found is not None:
        return found
    width, height = config["main"]["size"]
    guess = BT709_LIMITED if width >= 1280 and height >= 720 else BT601_LIMITED
    log.warning("picamera2: colour space %s not understood; decoding YUV as %s", space, guess.name)
    return guess


def lores_size(box: tuple[int, int], main: tuple[int, int]) -> tuple[int, int]:
    """The largest even size with main's aspect ratio that fits in ``box`` (and in main).

    lores is scaled from main's crop, not cropped to its own aspect: any other shape squashes the faces the
    models see.
    """
    scale = min(box[0] / main[0], box[1] / main[1], 1.0)
    return max(2, round(main[0] * scale / 2) * 2), max(2, round(main[1] * scale / 2) * 2)


def open_picamera2(picamera2: Any, index: int) -> Any:
    """``Picamera2(index)``, closing the notification pipe a failed constructor leaves open.

    picamera2 opens ``notifyme_r``/``notifyme_w`` first in ``__init__`` and does not close them when the
    camera cannot be acquired; built through ``__new__`` here, the half-made object is still in hand.
    """
    camera = picamera2.__new__(picamera2)
    try:
        camera.__init__(index)
    except BaseException:
        reader = getattr(camera, "notifymeread", None)
        if reader is not None:
            reader.close()
        writer = getattr(camera, "notifyme_w", None)
        if isinstance(writer, int):
            with contextlib.suppress(OSError):
                os.close(writer)
        raise
    return camera


class PicameraCamera(Camera):
    """A Pi camera module; the ring holds recent ``main`` frames as YUV420 buffers."""

    kind = "picamera2"

    def __init__(self, settings: CameraSettings, index: int = 0) -> None:
        super().__init__(settings, f"picamera2:{index}")
        self.index = index
        self._cam: Any = None
        self.lores: StreamInfo | None = None
        self.main: StreamInfo | None = None
        self._scaler_crop: tuple[int, int, int, int] | None = None
        #: Still size chosen from the sensor modes, per camera (model and libcamera id): reading the modes
        #: reconfigures the camera once per mode, too slow to repeat on every reopen.
        self._still_sizes: dict[str, tuple[int, int]] = {}

    def _controls(self) -> dict[str, Any]:
        frame_us = round(1_000_000 / self.settings.fps)
        controls: dict[str, Any] = {"FrameDurationLimits": (frame_us, frame_us)}
        if self.settings.exposure_us is not None:
            controls["ExposureTime"] = self.settings.exposure_us
        if self.settings.analogue_gain is not None:
            controls["AnalogueGain"] = self.settings.analogue_gain
        return controls

    def _open(self) -> None:
        picamera2 = _import_picamera2()
        cameras = picamera2.global_camera_info()
        if len(cameras) <= self.index:
            raise CameraFault(
                f"{self.source}: libcamera lists {len(cameras)} camera(s), not camera {self.index}; "
                "check the ribbon cable (contacts the right way, latch closed) and power, retrying"
            )
        try:
            self._cam = open_picamera2(picamera2, self.index)
        except RuntimeError as err:  # picamera2 wraps libcamera's "Failed to acquire camera" this way
            cause = f"{err}: {err.__cause__}" if err.__cause__ is not None else str(err)
            raise CameraFault(
                f"{self.source}: cannot open ({cause}); is another program using the camera (rpicam-hello, "
                "a second booth)? Stop it; retrying"
            ) from None
        self._configure(cameras[self.index])
        self._cam.start()
        assert self.main is not None and self.lores is not None
        log.info(
            "%s (%s): main %dx%d %s, lores %dx%d %s, %g fps",
            self.source,
            cameras[self.index].get("Model", "?"),
            self.main.width,
            self.main.height,
            self.main.format,
            self.lores.width,
            self.lores.height,
            self.lores.format,
            self.settings.fps,
        )

    def _configure(self, info: dict) -> None:
        cam = self._cam
        full = self._still_size(info)
        lores = lores_size(self.settings.analysis_size, full)
        wanted = self.settings.analysis_format
        refused = []
        for fmt in AUTO_FORMATS if wanted == "auto" else (wanted,):
            config = cam.create_video_configuration(
                main={"size": full, "format": "YUV420"},
                lores={"size": lores, "format": fmt},
                buffer_count=self.settings.buffer_count,
                controls=self._controls(),
                display=None,
                encode=None,
            )
            try:
                cam.configure(config)
            except RuntimeError as err:  # picamera2 refuses a lores format this ISP cannot make
                refused.append(f"{fmt}: {err}")
                log.info("%s: lores %s refused (%s)", self.source, fmt, err)
                continue
            actual = cam.camera_configuration()
            ycbcr = configured_ycbcr(actual)
            self.main, self.lores = _stream_info(actual, "main", ycbcr), _stream_info(actual, "lores", ycbcr)
            return
        raise CameraFault(
            f"{self.source}: no analysis format accepted ({'; '.join(refused)}); "
            "set camera.analysis_format to YUV420"
        )

    def _still_size(self, info: dict) -> tuple[int, int]:
        """``still_size``, else the largest sensor mode that keeps up with ``fps`` (kept per camera).

        Both streams come from one sensor mode, so the mode sets the frame rate: a Camera Module 3 gives
        its full 4608x2592 at about 14 fps, its 2304x1296 binned mode at about 56. Choosing the full size
        would halve the analysis rate (and copy 18 MB a frame into the ring).
        """
        if self.settings.still_size:
            return self.settings.still_size
        key = f"{info.get('Model', '?')}:{info.get('Id', self.index)}"
        if key not in self._still_sizes:
            self._still_sizes[key] = self._fastest_large_mode()
        return self._still_sizes[key]

    def _fastest_large_mode(self) -> tuple[int, int]:
        cam = self._cam
        modes = [m for m in getattr(cam, "sensor_modes", None) or [] if "size" in m]
        fast = [m for m in modes if m.get("fps", 0) >= self.settings.fps]
        if fast:
            width, height = max(fast, key=lambda m: m["size"][0] * m["size"][1])["size"]
        elif modes:
            log.warning(
                "%s: no sensor mode reaches %.0f fps; using the fastest", self.source, self.settings.fps
            )
            width, height = max(modes, key=lambda m: m.get("fps", 0))["size"]
        else:
            width, height = cam.sensor_resolution
        return int(width), int(height)

    def _grab(self, timeout: float) -> Grab:
        assert self.main is not None and self.lores is not None
        request = self._cam.capture_request(wait=timeout)  # TimeoutError: a stall
        try:
            lores = request.make_buffer("lores")
            keep = self.settings.ring_seconds > 0 and not self._resting_frame  # at rest: no stills
            main = request.make_buffer("main") if keep else None
            metadata = request.get_metadata()
        finally:
            request.release()  # at once: libcamera has only buffer_count buffers to fill
        crop = metadata.get("ScalerCrop")
        if crop is not None and self._scaler_crop is None:
            self._scaler_crop = tuple(crop)
            if self.focus.window is not None:
                self._focus_dirty.set()  # the window can now be mapped onto the sensor exactly
        elif crop is not None:
            self._scaler_crop = tuple(crop)
        # The conversion is handed over: done at once, or at rest only for a frame someone reads.
        convert = functools.partial(self.lores.to_rgb, lores)
        if main is None:
            return Grab(None, convert=convert)
        return Grab(None, full=main, full_nbytes=main.nbytes, convert=convert)

    def _full_to_rgb(self, full: Any) -> np.ndarray:
        if isinstance(full, np.ndarray) and full.ndim == 3:  # ring disabled: the analysis frame itself
            return full
        assert self.main is not None
        return self.main.to_rgb(full)

    def _close(self) -> None:
        cam, self._cam = self._cam, None
        self._scaler_crop = None
        if cam is None:
            return
        try:
            # A capture that timed out is still queued, and stop() would wait behind it for ever.
            cam.cancel_all_and_flush()
            cam.stop()
        finally:
            cam.close()

    # -- focus -------------------------------------------------------------------------------------

    def _apply_focus(self, focus: Focus) -> None:
        cam = self._cam
        if cam is None:
            return
        if "AfMode" not in cam.camera_controls:
            log.debug("%s: this camera has no autofocus; focus settings ignored", self.source)
            return
        controls: dict[str, Any] = {}
        if focus.mode == "continuous":
            controls["AfMode"] = AF_MODE_CONTINUOUS
        else:
            controls["AfMode"] = AF_MODE_MANUAL
            if focus.lens_position is not None:
                controls["LensPosition"] = focus.lens_position
        if focus.window is None:
            controls["AfMetering"] = AF_METERING_AUTO
        else:
            controls["AfMetering"] = AF_METERING_WINDOWS
            controls["AfWindows"] = [self.window_on_sensor(focus.window)]
        cam.set_controls(controls)
        log.debug("%s: focus %s", self.source, controls)

    def window_on_sensor(self, box: Box) -> tuple[int, int, int, int]:
        """Map a box in lores pixels to an AF window: (x, y, w, h) in pixels of the ScalerCropMaximum
        rectangle, which is what libcamera's ``AfWindows`` is measured in."""
        assert self.lores is not None
        max_x, max_y, max_w, max_h = self._cam.camera_properties.get(
            "ScalerCropMaximum", (0, 0, *self._cam.sensor_resolution)
        )
        crop_x, crop_y, crop_w, crop_h = self._scaler_crop or (max_x, max_y, max_w, max_h)
        sx, sy = crop_w / self.lores.width, crop_h / self.lores.height
        x0, y0, x1, y1 = box
        x = round(crop_x - max_x + max(0.0, x0) * sx)
        y = round(crop_y - max_y + max(0.0, y0) * sy)
        w = round((min(x1, self.lores.width) - max(0.0, x0)) * sx)
        h = round((min(y1, self.lores.height) - max(0.0, y0)) * sy)
        return x, y, max(1, w), max(1, h)
