"""The page's view of each photo, rendered from the real seeded session: the whole original at most 1280
pixels on its longer side, same orientation, far smaller than the full-size files, and exactly the size
the page's ``<img width height>`` announces. The full-size files stay as they were. Local: no server."""

from __future__ import annotations

import io
import re

import pytest
from delivery_helpers import job_for
from PIL import Image

from booth.delivery import plan
from booth.delivery.render import VIEW_QUALITY, VIEW_SIDE, Renderer, RenderError
from booth.imaging import render_jpeg

IMG = re.compile(r'<img src="([^"]+)" width="(\d+)" height="(\d+)"')


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        image.load()
        return image.size


def delivered(storage, session_id: int):
    folder = plan.new_folder("booth")
    plans = plan.plan_session(folder, storage.shots(session_id))
    storage.deliver(session_id, folder, f"https://bucket.example/{folder}/index.html", plans)
    return plans


def test_each_view_is_the_small_whole_photo_the_page_announces(seeded):
    storage, session, shots = seeded
    plans = delivered(storage, session.id)
    renderer = Renderer(storage, 92, lambda key: key.rsplit("/", 1)[-1])
    rendered = {p.key.rsplit("/", 1)[-1]: renderer.render(job_for(p, session.id)).body for p in plans}
    announced = {src: (int(w), int(h)) for src, w, h in IMG.findall(rendered[plan.PAGE_NAME].decode())}
    assert sorted(announced) == sorted(plan.file_name(shot.path, plan.VIEW) for shot in shots)
    for shot in shots:
        view = rendered[plan.file_name(shot.path, plan.VIEW)]
        original = rendered[plan.file_name(shot.path, plan.ORIGINAL)]
        width, height = size_of(view)
        assert (width, height) == announced[plan.file_name(shot.path, plan.VIEW)]
        assert max(width, height) == min(VIEW_SIDE, max(shot.width, shot.height))
        assert abs(width / height - shot.width / shot.height) < 0.01  # the whole photo, not turned
        assert original == storage.path_of(shot).read_bytes()  # the original goes as it is
        assert len(view) < len(original) * 0.75
        assert view == render_jpeg(storage.path_of(shot), max_side=VIEW_SIDE, quality=VIEW_QUALITY)
        for aspect, box in shot.crops.items():  # the crops stay full size
            assert size_of(rendered[plan.file_name(shot.path, aspect)]) == (box[2] - box[0], box[3] - box[1])
    assert sum(len(rendered[name]) for name in announced) < 0.5 * sum(
        len(body) for name, body in rendered.items() if name not in announced and name != plan.PAGE_NAME
    )


def test_a_view_never_above_the_booths_own_quality(seeded):
    """A studio keeping its stills at a low quality gets views no better (and no larger) than that."""
    storage, session, shots = seeded
    plans = delivered(storage, session.id)
    view = next(p for p in plans if p.variant == plan.VIEW)
    low = Renderer(storage, 60, str).render(job_for(view, session.id)).body
    shot = next(s for s in shots if s.id == view.shot_id)
    assert low == render_jpeg(storage.path_of(shot), max_side=VIEW_SIDE, quality=60)


def test_an_unreadable_photo_is_a_render_error_naming_the_file(seeded):
    storage, session, shots = seeded
    plans = delivered(storage, session.id)
    view = next(p for p in plans if p.variant == plan.VIEW)
    path = storage.path_of(next(s for s in shots if s.id == view.shot_id))
    path.write_bytes(path.read_bytes()[:2000])  # cut short, as a failing SD card leaves it
    with pytest.raises(RenderError) as caught:
        Renderer(storage, 92, str).render(job_for(view, session.id))
    assert str(caught.value).startswith(f"photo {path} cannot be read (") and "\n" not in str(caught.value)
