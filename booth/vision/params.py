"""What perception is told to do, as one frozen value (the settings' defaults stay in ``booth.config``).

Vision is pure and must not import the pydantic settings; :meth:`VisionParams.from_settings` reads them by
attribute instead, so adding a vision setting means one field here and one in ``booth.config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class VisionSource(Protocol):
    """What :meth:`VisionParams.from_settings` reads (``booth.config.VisionSettings`` has it)."""

    @property
    def threads(self) -> int: ...

    @property
    def runtime(self) -> str: ...

    @property
    def max_faces(self) -> int: ...

    @property
    def detect_every(self) -> int: ...

    @property
    def emotions(self) -> bool: ...

    @property
    def tracking(self) -> str: ...

    @property
    def full_every(self) -> int: ...

    @property
    def full_near(self) -> float: ...


@dataclass(frozen=True)
class VisionParams:
    """Model loading (``threads``, ``runtime``, ``emotions``, ``tracking``) and per-frame work
    (``max_faces``, ``detect_every``, ``full_every``, ``full_near``); see ``booth.config.VisionSettings``
    for each field's meaning and default."""

    threads: int
    runtime: str  # "auto", or the TFLite runtime to try first
    max_faces: int
    detect_every: int
    emotions: bool
    tracking: str = "full"  # "full": FaceMesh v2 on every frame; "light": v1 + iris between full frames
    full_every: int = 6
    full_near: float = 0.15

    @classmethod
    def from_settings(cls, s: VisionSource) -> VisionParams:
        return cls(
            threads=s.threads,
            runtime=s.runtime,
            max_faces=s.max_faces,
            detect_every=s.detect_every,
            emotions=s.emotions,
            tracking=s.tracking,
            full_every=s.full_every,
            full_near=s.full_near,
        )
