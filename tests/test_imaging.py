"""booth.imaging.encode_jpeg: the one JPEG encoder (stills, crops, gallery views, preview, placeholder).

Real Pillow encode and decode, no mocks: what matters is what a browser or a photo viewer gets back.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from booth.imaging import STILL_QUALITY, encode_jpeg


def decode(data: bytes) -> Image.Image:
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"  # SOI ... EOI: a whole JPEG
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        image.load()
        return image.copy()


def mean_colour(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64).reshape(-1, len(image.getbands())).mean(axis=0)


def test_an_rgb_array_round_trips_with_its_size_and_colour() -> None:
    pixels = np.zeros((48, 80, 3), np.uint8)  # height 48, width 80
    pixels[...] = (200, 40, 90)
    image = decode(encode_jpeg(pixels, 90))
    assert image.mode == "RGB" and image.size == (80, 48)
    assert np.allclose(mean_colour(image), (200, 40, 90), atol=4)


def test_a_pillow_image_round_trips_and_is_left_untouched() -> None:
    source = Image.new("RGB", (33, 21), (16, 16, 16))
    image = decode(encode_jpeg(source, 50))
    assert image.size == (33, 21) and np.allclose(mean_colour(image), 16, atol=3)
    assert source.mode == "RGB" and source.getpixel((0, 0)) == (16, 16, 16)


def test_halves_of_two_colours_stay_apart() -> None:
    """Not just the mean: the left half stays red and the right half blue (no channel or axis mix-up)."""
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, :32] = (255, 0, 0)
    pixels[:, 32:] = (0, 0, 255)
    decoded = np.asarray(decode(encode_jpeg(pixels, 92)), dtype=np.int16)
    assert np.abs(decoded[8:56, 4:24] - (255, 0, 0)).max() < 24
    assert np.abs(decoded[8:56, 40:60] - (0, 0, 255)).max() < 24


@pytest.mark.parametrize(
    ("source", "mode"),
    [
        (np.full((10, 12), 128, np.uint8), "L"),  # grey stays grey: a JPEG stores it as it is
        (np.full((10, 12, 4), 128, np.uint8), "RGB"),  # alpha dropped: JPEG has none
        (Image.new("P", (12, 10)), "RGB"),  # palette images cannot be saved as JPEG as they are
        (np.full((10, 12, 3), 128.0), "RGB"),  # a float array is cast to uint8
    ],
    ids=["grey", "rgba", "palette", "float"],
)
def test_other_modes_and_dtypes_are_encoded_too(source: np.ndarray | Image.Image, mode: str) -> None:
    image = decode(encode_jpeg(source, 80))
    assert image.mode == mode and image.size == (12, 10)


def test_a_read_only_camera_frame_is_encoded_without_a_copy_error() -> None:
    pixels = np.full((16, 16, 3), 77, np.uint8)
    pixels.flags.writeable = False  # camera frames are shared read-only
    assert np.allclose(mean_colour(decode(encode_jpeg(pixels, 70))), 77, atol=3)


def test_quality_is_the_callers_and_the_default_is_the_stills_one() -> None:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert len(encode_jpeg(pixels, 30)) < len(encode_jpeg(pixels, 95))
    assert encode_jpeg(pixels) == encode_jpeg(pixels, STILL_QUALITY) and STILL_QUALITY == 92


def test_the_bytes_are_pillows_defaults_so_merging_the_encoders_changed_no_file() -> None:
    """4:2:0 and no optimisation are exactly what each site got from a bare ``save(..., quality=q)``."""
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    for quality in (50, 70, 92):
        bare = io.BytesIO()
        Image.fromarray(pixels).save(bare, "JPEG", quality=quality)
        assert encode_jpeg(pixels, quality) == bare.getvalue()
