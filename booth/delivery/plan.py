"""Where a session's objects go in the bucket: its unguessable folder and one key per photo and variant.

Why an unguessable folder: in public mode the folder name is the only secret between a client's photos and
everyone else (bucket listing is never granted), so it carries 192 random bits, as the booth's own gallery
tokens do. Presigned links are signed per object anyway; the random folder still keeps one client's URLs
from hinting at another's.

Why the keys are the booth's own file names: ``00012-confident.jpg`` and ``00012-confident-4x5.jpg`` say what
the photo is when a client saves it, match the names in the booth's zip export, and are unique within a
session by the shot id. Pure: no I/O, no clock; the same shots always give the same keys.

Why a "view" of each photo besides its original and crops (``00012-confident-view.jpg``): the page is read
on a phone, often over cellular, and full-size originals and crops inline made four photos tens of
megabytes. The page shows the small view and offers the full-size files as downloads.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import PurePosixPath

from booth.crops import ASPECTS
from booth.storage.records import ShotRecord, UploadPlan

PAGE_NAME = "index.html"
JPEG = "image/jpeg"
HTML = "text/html; charset=utf-8"
ORIGINAL, VIEW, PAGE = "original", "view", "page"
#: The variants of one photo, in the order they are uploaded (the page waits for all of them anyway).
VARIANTS = (VIEW, ORIGINAL, *ASPECTS)
#: Random bytes of a folder name (token_urlsafe: 4 characters per 3 bytes).
FOLDER_BYTES = 24


def new_folder(prefix: str) -> str:
    """A fresh folder under ``prefix`` ("" for the bucket's top), never ending in "/"."""
    name = secrets.token_urlsafe(FOLDER_BYTES)
    return f"{prefix.strip('/')}/{name}" if prefix.strip("/") else name


def file_name(shot_path: str, variant: str) -> str:
    """The object's name within its folder: the photo's own name, or ``<stem>-<variant>.jpg`` for its view
    and its crops."""
    path = PurePosixPath(shot_path)
    if variant == ORIGINAL:
        return path.name
    if variant != VIEW and variant not in ASPECTS:
        raise ValueError(f"variant {variant!r}; use one of {', '.join(VARIANTS)}")
    return f"{path.stem}-{variant}.jpg"


def object_key(folder: str, shot_path: str, variant: str) -> str:
    return f"{folder}/{file_name(shot_path, variant)}"


def page_key(folder: str) -> str:
    return f"{folder}/{PAGE_NAME}"


def shot_variants(shot: ShotRecord) -> tuple[str, ...]:
    """The variants a shot has: always its view and its original, then each crop it has a box for."""
    return (VIEW, ORIGINAL, *(name for name in ASPECTS if name in shot.crops))


def plan_session(folder: str, shots: Iterable[ShotRecord]) -> tuple[UploadPlan, ...]:
    """Every object of a delivered session: each good shot's view, original and crops, then the page.

    A shot whose file is missing or corrupt is left out (there is nothing to send); the page is last, so
    the outbox puts it up only once the photos it shows are there.
    """
    plans = [
        UploadPlan(
            shot_id=shot.id, variant=variant, key=object_key(folder, shot.path, variant), content_type=JPEG
        )
        for shot in shots
        if shot.status == "ok"
        for variant in shot_variants(shot)
    ]
    plans.append(UploadPlan(shot_id=None, variant=PAGE, key=page_key(folder), content_type=HTML))
    return tuple(plans)
