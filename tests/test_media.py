"""Decoding real and hostile files: one-line errors, bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from booth.errors import MediaError
from booth.media import MAX_SIDE, iter_frames, iter_video, load_image


def test_photo_decodes_to_rgb(media):
    pixels = load_image(media("grace_hopper.jpg"))
    assert pixels.dtype == np.uint8 and pixels.shape == (600, 512, 3)


def test_png_with_alpha_and_grey_become_rgb(tmp_path):
    Image.new("RGBA", (40, 30), (1, 2, 3, 4)).save(tmp_path / "a.png")
    Image.new("L", (40, 30), 9).save(tmp_path / "g.ppm".replace("ppm", "pgm"))
    assert load_image(tmp_path / "a.png").shape == (30, 40, 3)
    assert load_image(tmp_path / "g.pgm").shape == (30, 40, 3)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "not an image"), (b"hello, not a picture", "not an image")],
)
def test_bad_files_are_one_line_errors(tmp_path, content, reason):
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=reason) as info:
        load_image(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_truncated_jpeg_is_an_error(tmp_path, media):
    path = tmp_path / "cut.jpg"
    path.write_bytes(media("single_face.jpg").read_bytes()[:20000])
    with pytest.raises(MediaError, match="cannot decode"):
        load_image(path)


def test_huge_image_is_downscaled_while_decoding(tmp_path):
    path = tmp_path / "huge.jpg"
    Image.new("RGB", (12000, 12000), (120, 100, 90)).save(path, quality=40)
    pixels = load_image(path)
    assert max(pixels.shape[:2]) <= MAX_SIDE


def test_video_frames_carry_index_and_time(media):
    frames = list(iter_video(media("single_face.mp4"), every=10))
    assert [f.index for f in frames] == list(range(0, 72, 10))
    assert frames[0].pixels.shape == (360, 640, 3)
    assert frames[1].timestamp == pytest.approx(10 / 30, abs=0.01)


def test_unthreaded_decoding_gives_the_same_frames_on_the_calling_thread(media):
    """The replay camera decodes on its own thread, so the CPU split charges the decode to the camera."""
    import itertools
    import os

    def tasks() -> int:
        return len(os.listdir("/proc/self/task"))  # every OS thread of this process

    before = tasks()
    unthreaded, busiest = [], 0
    for frame in iter_video(media("WolfgangLanger_Pexels.mp4"), threaded=False):
        busiest = max(busiest, tasks())
        unthreaded.append(frame.pixels)
        if len(unthreaded) == 40:
            break
    assert busiest == before  # libavcodec started no worker thread
    threaded = [f.pixels for f in itertools.islice(iter_video(media("WolfgangLanger_Pexels.mp4")), 40)]
    assert len(threaded) == len(unthreaded) == 40
    for ours, theirs in zip(unthreaded, threaded, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_video_with_undecodable_tail_yields_what_decodes(media):
    frames = list(iter_video(media("no_face.mp4")))
    assert len(frames) > 10


def test_not_a_video(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\0" * 100)
    with pytest.raises(MediaError, match=r"clip\.mp4"):
        list(iter_frames(path))


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("clip.mp4@120-150", 120, 150),
        ("photo.jpg", None, None),
        ("dir/a@b.mp4@0-0", 0, 0),
        ("photo@2x.jpg", None, None),
        ("/home/a@b/clip.mp4", None, None),
    ],
)
def test_a_media_span_names_a_still_or_an_inclusive_frame_range(text, first, last):
    from booth.media import MediaSpan

    span = MediaSpan.parse(text)
    assert (span.first, span.last) == (first, last)
    if first is None:
        assert span.covers(None) and span.covers(7)
    else:
        assert span.covers(first) and span.covers(last) and not span.covers(last + 1)
        assert not span.covers(None)


@pytest.mark.parametrize(
    "text", ["clip.mp4@5", "clip.mp4@9-3", "clip.mp4@a-b", "clip.mp4@-4", "clip.mp4@\u00b2-3"]
)
def test_a_bad_span_is_one_line_naming_the_form(text):
    from booth.media import MediaSpan

    with pytest.raises(MediaError, match="FILE@FROM-TO"):
        MediaSpan.parse(text)
