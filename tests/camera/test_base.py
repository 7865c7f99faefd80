"""The frame every camera source publishes (booth/camera/base.py), made with its pixels or converted on
demand. No camera here: a frame is data, and its conversion a plain call (counted)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from booth.camera.base import CameraFrame, Grab


def test_a_frame_converted_on_demand_converts_once_whoever_reads_it() -> None:
    """The analysis thread and a preview stream may read one frame at once: one conversion, one array."""
    calls: list[int] = []
    gate = threading.Event()

    def convert() -> np.ndarray:
        calls.append(1)
        gate.wait(1.0)  # hold the first reader inside, so the others arrive while it converts
        return np.zeros((4, 6, 3), np.uint8)

    frame = CameraFrame(None, 1.0, 7, convert)
    assert not frame.converted
    seen: list[np.ndarray] = []
    readers = [threading.Thread(target=lambda: seen.append(frame.pixels)) for _ in range(8)]
    for reader in readers:
        reader.start()
    gate.set()
    for reader in readers:
        reader.join(5)
    assert calls == [1] and len(seen) == 8 and all(pixels is seen[0] for pixels in seen)
    assert frame.converted and frame.pixels.shape == (4, 6, 3)


def test_a_frame_made_with_pixels_is_converted_already() -> None:
    pixels = np.ones((2, 2, 3), np.uint8)
    frame = CameraFrame(pixels, 2.0, 1)
    assert frame.converted and frame.pixels is pixels and (frame.timestamp, frame.sequence) == (2.0, 1)


@pytest.mark.parametrize("kind", [CameraFrame, Grab])
def test_pixels_or_a_convert_one_of_the_two(kind) -> None:
    pixels = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(ValueError, match="one of the two"):
        if kind is CameraFrame:
            CameraFrame(None, 0.0, 1)
        else:
            Grab(None)
    with pytest.raises(ValueError, match="one of the two"):
        if kind is CameraFrame:
            CameraFrame(pixels, 0.0, 1, lambda: pixels)
        else:
            Grab(pixels, convert=lambda: pixels)
