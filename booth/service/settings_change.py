"""A change of settings from the operator page: checked whole, then saved, then applied.

Why its own step: a change is validated over the settings in effect, checked against the looks (a new
looks file is loaded first), and validated again as the file the next start will load, all before anything
is written or swapped, so a refused change leaves the booth exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from booth import config, looks, settings_check
from booth.camera import Camera, open_camera
from booth.config import Settings
from booth.errors import BoothError, ConfigError
from booth.looks import LookBook


@dataclass(frozen=True)
class SettingsChange:
    """What a checked change will do: the new settings, the file contents to save, and what to swap."""

    settings: Settings
    on_disk: dict[str, Any] | None  # the changes file's new contents (None: nothing is saved)
    book: LookBook | None  # new looks (None: unchanged)
    camera: Camera | None  # a new camera, built but not started (None: unchanged)


def prepare(
    current: Settings,
    book: LookBook,
    changes: Mapping[str, Any],
    *,
    config_path: Path | None,
    base_config_path: Path | None,
    idle: bool,
) -> SettingsChange:
    """Check ``changes`` (nested, only the keys that change) over ``current``; raise before anything changes.

    Why not save the settings in effect: they hold the command line's overrides (``--pins mock``,
    ``--camera``), which must not become the file's. A new ``looks.file`` is refused unless ``idle`` (a
    running shot list never loses its looks).
    """
    for section, values in changes.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"settings: {section} must be a table of keys")
    new = config.validate(config.deep_merge(current.model_dump(mode="json"), changes), "settings")
    on_disk = None
    if config_path is not None:
        on_disk = config.deep_merge(config.read_table(config_path), changes)
        # What the next start will load: the base file with this one over it (it may name a shot list the
        # base defines, so it need not load alone).
        base = config.read_table(base_config_path) if base_config_path else {}
        config.validate(config.deep_merge(base, on_disk), str(config_path))
    new_book = None
    if new.looks.file != current.looks.file:
        if not idle:
            raise BoothError(
                "a new looks file can change only between sessions; try again once the booth is idle"
            )
        new_book = looks.load(new.looks.file)  # a bad file raises here, before anything changes
    settings_check.check(new, new_book or book, "settings")
    camera = None
    if new.camera.source != current.camera.source:
        camera = open_camera(new.camera.source, new.camera)  # builds only; a bad spec raises here
    return SettingsChange(new, on_disk, new_book, camera)


def save(change: SettingsChange, config_path: Path | None) -> None:
    if change.on_disk is not None and config_path is not None:
        config.write_table(config_path, change.on_disk)
