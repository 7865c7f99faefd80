"""Real clips read once per test session: the largest face of every frame, as the booth tracks a sitter."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from booth import assets
from booth.media import iter_frames
from booth.vision import FacePipeline, FaceReading

#: (frame index, capture time, the largest face or None) of every frame of a clip.
ClipFaces = list[tuple[int, float, FaceReading | None]]


@pytest.fixture(scope="session")
def clip_faces(models, vision_params) -> Callable[[str], ClipFaces]:
    cache: dict[str, ClipFaces] = {}

    def read(name: str) -> ClipFaces:
        if name not in cache:
            pipeline = FacePipeline(models=models, params=vision_params)
            rows: ClipFaces = []
            for frame in iter_frames(assets.media_path(name)):
                faces = pipeline.analyze(frame.pixels, track=True)
                face = max(faces, key=lambda f: f.area) if faces else None
                rows.append((frame.index or 0, frame.timestamp, face))
            cache[name] = rows
        return cache[name]

    return read
