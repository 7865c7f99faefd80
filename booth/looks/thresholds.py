"""Which score a look must reach, and how near the lens a gaze must be: the one rule, shared by the
coaching and the trigger.

The coaching's "Hold that!" and the trigger's arming must agree, or the sitter is told to hold a look the
booth will never fire on. Both therefore hold a :class:`Thresholds` built from the same settings, and neither
looks a threshold up any other way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class ThresholdSettings(Protocol):
    """What :meth:`Thresholds.from_settings` reads (``booth.config.PolicySettings`` has it), by attribute,
    so this pure package never imports the pydantic settings."""

    @property
    def default_threshold(self) -> float: ...

    @property
    def thresholds(self) -> Mapping[str, float]: ...

    @property
    def gaze_horizontal_deg(self) -> float: ...

    @property
    def gaze_vertical_deg(self) -> float: ...


@dataclass(frozen=True)
class Thresholds:
    """The score (0..1) at which each look counts: its own entry in ``per_look``, else ``default``; and
    ``gaze``, the half-axes (degrees, horizontal and vertical) of the ellipse around the lens inside which
    a gaze counts as engaged."""

    default: float
    per_look: Mapping[str, float]
    gaze: tuple[float, float]

    def __post_init__(self) -> None:
        # Its own copy: the settings' dict may be edited later (the operator page) and a frozen value must
        # not follow. A plain dict, typed read-only, so the value still pickles and deep-copies.
        object.__setattr__(self, "per_look", dict(self.per_look))

    def for_look(self, look: str) -> float:
        """The threshold of ``look``; a look without an entry of its own (a new one) gets the default."""
        return self.per_look.get(look, self.default)

    @classmethod
    def from_settings(cls, policy: ThresholdSettings) -> Thresholds:
        """From the policy settings' thresholds and gaze tolerance (the defaults live there)."""
        return cls(
            default=policy.default_threshold,
            per_look=policy.thresholds,
            gaze=(policy.gaze_horizontal_deg, policy.gaze_vertical_deg),
        )
