"""The booth's eyes: one small camera interface over a Pi camera, a USB webcam or replayed footage.

Public API (everything else in this package is an implementation detail)::

    from booth.camera import open_camera

    with open_camera("auto", settings.camera) as camera:      # "picamera2" | "usb:N" | "replay:PATH"
        frame = camera.wait_frame(after_sequence=0, timeout=5)  # CameraFrame(pixels, timestamp, sequence)
        camera.latest()                  # newest analysis frame (HxWx3 uint8 RGB, read-only) or None
        camera.preview_jpeg(quality=80)  # bytes of the latest frame, encoded lazily, cached per frame
        camera.still(at=frame.timestamp) # full-resolution CameraFrame nearest a time.monotonic() moment
        camera.set_focus("manual", 2.0)  # or "continuous"; lens position in dioptres (1 / metres)
        camera.set_focus_window(box)     # AF on the face box (analysis pixels x0, y0, x1, y1), None = all
        camera.state                     # CameraState(kind, source, running, fault, frames, fps)
        camera.resting = True            # standby: convert only the frames read, keep no stills

Faults (no camera, unplugged, stalled for ``stall_seconds``, unreadable replay file) never raise out of a
camera: ``state.fault`` holds one line naming cause and fix, the source retries with backoff, and the fault
clears when frames flow again. Only a malformed spec raises (:class:`booth.errors.ConfigError`). Timestamps
are ``time.monotonic()`` at the moment the frame reached the booth. See ``README.md`` here for the rules.
"""

from booth.camera.base import Camera, CameraFrame, CameraState, Focus
from booth.camera.choose import open_camera, parse_spec

__all__ = ["Camera", "CameraFrame", "CameraState", "Focus", "open_camera", "parse_spec"]
