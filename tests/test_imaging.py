"""booth.imaging: the one JPEG encoder (stills, crops, gallery views, preview, placeholder), and the one way
to cut a crop or a smaller view out of a stored photo (export, gallery, cloud delivery).

Real Pillow encode and decode on real files, no mocks: what matters is what a browser or a photo viewer
gets back, and that every failure to read a photo is an OSError the callers already handle.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from booth.imaging import MAX_PIXELS, STILL_QUALITY, cut_jpeg, encode_jpeg, fit_size, open_photo, render_jpeg


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


# -- cutting crops and views out of stored photos ----------------------------------------------------------


def quadrants(width: int, height: int) -> np.ndarray:
    """A photo of four flat colours (red, green / blue, white), to see which part of it a cut kept."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 2, : width // 2] = (255, 0, 0)
    pixels[: height // 2, width // 2 :] = (0, 255, 0)
    pixels[height // 2 :, : width // 2] = (0, 0, 255)
    pixels[height // 2 :, width // 2 :] = (255, 255, 255)
    return pixels


def stored(tmp_path: Path, pixels: np.ndarray, name: str = "00001-confident.jpg") -> Path:
    path = tmp_path / name
    path.write_bytes(encode_jpeg(pixels, 92))
    return path


def near(image: Image.Image, xy: tuple[float, float], colour: tuple[int, int, int]) -> bool:
    x, y = round(xy[0] * (image.width - 1)), round(xy[1] * (image.height - 1))
    return bool(np.abs(np.asarray(image.getpixel((x, y)), dtype=np.int16) - colour).max() < 40)


def test_fit_size_keeps_the_shape_and_never_enlarges() -> None:
    assert fit_size((4056, 3040), 1280) == (1280, 959)
    assert fit_size((3040, 4056), 1280) == (959, 1280)  # portrait stays portrait
    assert fit_size((800, 600), 1280) == (800, 600)
    assert fit_size((800, 600), None) == (800, 600)
    assert fit_size((5000, 3), 100) == (100, 1)  # never a side of 0
    with pytest.raises(ValueError, match="max_side"):
        fit_size((800, 600), 0)


@pytest.mark.parametrize(("width", "height"), [(4001, 2999), (2999, 4001), (1600, 1600)])
def test_a_view_is_the_whole_photo_at_the_promised_size(tmp_path: Path, width: int, height: int) -> None:
    """Large enough that the JPEG is decoded at a reduced scale: the size is still fit_size's, exactly,
    and every corner is still where it was (same orientation, nothing cut off)."""
    path = stored(tmp_path, quadrants(width, height))
    view = decode(render_jpeg(path, max_side=400, quality=82))
    assert view.size == fit_size((width, height), 400)
    for xy, colour in [((0.1, 0.1), (255, 0, 0)), ((0.9, 0.1), (0, 255, 0))]:
        assert near(view, xy, colour), xy
    for xy, colour in [((0.1, 0.9), (0, 0, 255)), ((0.9, 0.9), (255, 255, 255))]:
        assert near(view, xy, colour), xy
    assert render_jpeg(path, max_side=400, quality=82) == render_jpeg(path, max_side=400, quality=82)


def test_a_crop_is_its_box_at_full_resolution_or_shrunk(tmp_path: Path) -> None:
    path = stored(tmp_path, quadrants(1000, 800))
    box = (500, 0, 1000, 400)  # the green quadrant, whole
    crop = decode(render_jpeg(path, box, quality=90))
    assert crop.size == (500, 400) and near(crop, (0.5, 0.5), (0, 255, 0))
    small = decode(render_jpeg(path, (0, 0, 1000, 800), max_side=100))
    assert small.size == (100, 80)
    assert near(small, (0.1, 0.1), (255, 0, 0)) and near(small, (0.9, 0.9), (255, 255, 255))


def test_one_opened_photo_gives_several_cuts_alike_and_is_left_as_it_was(tmp_path: Path) -> None:
    """The zip export opens a photo once for both crops: the same bytes as cutting each on its own."""
    path = stored(tmp_path, quadrants(600, 600))
    boxes = {"4x5": (100, 50, 500, 550), "1x1": (0, 0, 300, 300)}
    with open_photo(path) as image:
        cuts = {name: cut_jpeg(image, box, quality=90) for name, box in boxes.items()}
        assert image.size == (600, 600)
    assert cuts == {name: render_jpeg(path, box, quality=90) for name, box in boxes.items()}


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds none (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\0" * 64))  # a few bytes of the first row, then nothing
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + pixels + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "No such file"),
        (b"", "cannot identify"),
        (b"not a photo at all", "cannot identify"),
        ("truncated", "truncated"),
        (png_header(12_000, 13_000), "too large to be a photo"),  # 156 MP: the booth's own bound
        (png_header(20_000, 20_000), "not a photo"),  # 400 MP: Pillow's bomb error, as an OSError
        (png_header(9_500, 9_500), "truncated"),  # 90 MP: Pillow would warn (an error here); the load fails
    ],
    ids=["missing", "empty", "garbage", "truncated", "too-many-pixels", "bomb", "no-warning"],
)
def test_every_photo_that_cannot_be_read_is_an_oserror(tmp_path: Path, content, why: str) -> None:
    """The one failure the export, the gallery and the delivery each handle; never a warning."""
    path = tmp_path / "00001-confident.jpg"
    if content == "truncated":
        whole = encode_jpeg(quadrants(640, 480), 92)
        content = whole[: len(whole) // 2]
    if content is not None:
        path.write_bytes(content)
    assert Image.MAX_IMAGE_PIXELS < 9_500 * 9_500 < MAX_PIXELS < 12_000 * 13_000 < 2 * Image.MAX_IMAGE_PIXELS
    for cut in (lambda: render_jpeg(path), lambda: render_jpeg(path, max_side=100)):
        with pytest.raises(OSError, match=why):
            cut()
    with pytest.raises(OSError, match=why), open_photo(path):
        pass
