"""The bytes of one upload: a stored original as it is, its view or a crop cut from it, or the gallery page.

Why rendered at upload time and not stored: originals are the booth's only pixels (``booth.crops``), a crop
is cut whenever it is needed, exactly as the zip export and the booth's gallery cut theirs
(:func:`booth.imaging.render_jpeg`: same boxes, same encoder, ``storage.jpeg_quality``), so the same shot
always gives the same bytes and the same sha256, and a retry after a crash finds the object already there.
The view the page shows is the whole original at most :data:`VIEW_SIDE` pixels on its longer side, at
:data:`VIEW_QUALITY`: a few hundred kilobytes a photo on a phone's cellular link. Only one object is held
in memory at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from booth.crops import Box
from booth.delivery import plan
from booth.delivery.page import PagePhoto, PageVariant, PageView, render_page
from booth.imaging import fit_size, render_jpeg
from booth.storage import DeliveryRecord, OutboxJob, ShotRecord, Storage

#: The URL the page uses for an object key: a relative name (public) or a presigned URL.
UrlFor = Callable[[str], str]
#: The page's footer for a delivery (when its links stop working, or when its photos are removed).
NoteFor = Callable[[DeliveryRecord], str]
#: The view's longer side in pixels: sharp on a phone's screen at 3x, a tenth of a 12 MP original's pixels.
VIEW_SIDE = 1280
#: The view's JPEG quality (or ``storage.jpeg_quality`` if that is lower): the page's pictures, not the
#: files a client keeps, which stay at full size and quality.
VIEW_QUALITY = 82


class SourceGone(LookupError):
    """The job's session or shot is no longer stored (deleted while the job waited)."""


class RenderError(OSError):
    """The stored photo cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Rendered:
    body: bytes
    sha256: str

    @classmethod
    def of(cls, body: bytes) -> Rendered:
        return cls(body, hashlib.sha256(body).hexdigest())


class Renderer:
    """Renders upload jobs from ``storage`` (crops at ``quality``; page links through ``url_for``)."""

    def __init__(self, storage: Storage, quality: int, url_for: UrlFor, note: NoteFor | None = None) -> None:
        self.storage = storage
        self.quality = quality
        self.url_for = url_for
        self.note = note

    def render(self, job: OutboxJob) -> Rendered:
        if job.session_id is None:
            raise ValueError(f"outbox job {job.id} is a {job.kind}; only uploads are rendered")
        if job.variant == plan.PAGE:
            return Rendered.of(self.page(job.session_id).encode("utf-8"))
        shot = self._shot(job.session_id, job.shot_id)
        if job.variant == plan.ORIGINAL:
            return Rendered.of(self._read(shot))
        if job.variant == plan.VIEW:
            return Rendered.of(self.view(shot))
        return Rendered.of(self.crop(shot, job.variant))

    def page(self, session_id: int) -> str:
        """The session's gallery page, linking every object :func:`plan.plan_session` puts up."""
        record = self.storage.delivery(session_id)
        if record is None:
            raise SourceGone(f"session {session_id} has no delivery any more")
        photos = [self._page_photo(record.folder, shot) for shot in self.storage.shots(session_id)]
        return render_page(photos, note=self.note(record) if self.note else "")

    def _page_photo(self, folder: str, shot: ShotRecord) -> PagePhoto:
        """One photo on the page: its view (sized as :meth:`view` makes it) and its full-size downloads."""
        width, height = fit_size((shot.width, shot.height), VIEW_SIDE)
        view = PageView(self.url_for(plan.object_key(folder, shot.path, plan.VIEW)), width, height)
        downloads = tuple(
            PageVariant(
                variant=variant,
                url=self.url_for(plan.object_key(folder, shot.path, variant)),
                file_name=plan.file_name(shot.path, variant),
            )
            for variant in plan.shot_variants(shot)
            if variant != plan.VIEW
        )
        return PagePhoto(look=shot.look, view=view, downloads=downloads)

    def view(self, shot: ShotRecord) -> bytes:
        """The page's picture of ``shot``: the whole photo, shrunk to :data:`VIEW_SIDE`."""
        return self._cut(shot, None, VIEW_SIDE, min(self.quality, VIEW_QUALITY))

    def crop(self, shot: ShotRecord, aspect: str) -> bytes:
        box = shot.crops.get(aspect)
        if box is None:
            raise SourceGone(f"shot {shot.id} has no {aspect} crop")
        return self._cut(shot, box, None, self.quality)

    def _cut(self, shot: ShotRecord, box: Box | None, max_side: int | None, quality: int) -> bytes:
        path = self.storage.path_of(shot)
        try:
            return render_jpeg(path, box, max_side, quality)
        except OSError as err:
            raise RenderError(f"photo {path} cannot be read ({err})") from None

    def _read(self, shot: ShotRecord) -> bytes:
        path = self.storage.path_of(shot)
        try:
            return path.read_bytes()
        except OSError as err:
            raise RenderError(f"photo {path} cannot be read ({err.strerror})") from None

    def _shot(self, session_id: int, shot_id: int | None) -> ShotRecord:
        for shot in self.storage.shots(session_id, only_ok=False):
            if shot.id == shot_id:
                return shot
        raise SourceGone(f"shot {shot_id} of session {session_id} is no longer stored")
