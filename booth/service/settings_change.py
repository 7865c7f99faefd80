"""A change of settings from the operator page: checked whole, then saved, then applied.

Why its own step: a change is validated over the settings in effect, checked against the looks (a new
looks file is loaded first), and validated again as the file the next start will load, all before anything
is written or swapped, so a refused change leaves the booth exactly as it was.
"""

from __future__ import annotations

import math
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
    """What a checked change will do: the new settings, the file to save, and what to swap."""

    settings: Settings
    on_disk: config.Overrides | None  # the changes file's new text and contents (None: nothing is saved)
    book: LookBook | None  # new looks (None: unchanged)
    camera: Camera | None  # a new camera, built but not started (None: unchanged)


def _finite(changes: Mapping[str, Any]) -> None:
    """Refuse inf and nan anywhere in a change (a JSON body may spell them ``Infinity`` and ``NaN``), with
    the key, even where the settings would refuse them only as a value of the wrong kind."""
    for key in config.keys_of(changes):
        value: Any = changes
        for part in key:
            value = value[part]
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ConfigError(
                f"settings: {'.'.join(key)} = {value}: not a finite number; send a plain number, e.g. 30"
            )


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
    ``--camera``), which must not become the file's. Only the keys whose value changes are saved, and one
    set back to what the base file (or the default) gives leaves the changes file
    (:func:`booth.config.overrides_after`), so a later edit of the base still counts. The file's new text
    is read back and validated before :func:`save` may write it. A new ``looks.file`` is refused unless
    ``idle`` (a running shot list never loses its looks).
    """
    for section, values in changes.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"settings: {section} must be a table of keys")
    _finite(changes)
    new, keys = _changed(current, changes)
    on_disk = None
    if config_path is not None:
        same = base_config_path is not None and base_config_path.resolve() == config_path.resolve()
        under = config.load(None if same else base_config_path)
        unchanged = [k for k in config.keys_of(changes) if k not in keys]
        overrides = config.overrides_after(config_path, under, new, keys, tidy=unchanged)
        new = _follow_the_default(new, under, overrides.dropped)
        on_disk = overrides if overrides.changed else None
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


def _changed(current: Settings, changes: Mapping[str, Any]) -> tuple[Settings, list[config.Key]]:
    """The settings after ``changes``, and the keys whose value it changes.

    Why not every key sent: the operator page sends its whole form, every threshold and pin, whatever the
    operator touched. A key sent with the value it has now changes nothing and is not saved; a look's
    threshold shown as the default it follows stays following it (it is not pinned to today's default).
    """
    before = current.model_dump(mode="json")
    after = config.validate(config.deep_merge(before, changes), "settings").model_dump(mode="json")
    keys = [k for k in config.keys_of(changes) if config.effective(after, k) != config.effective(before, k)]
    real: dict[str, Any] = {}
    for key in keys:
        node = real
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = config.effective(after, key)
    return config.validate(config.deep_merge(before, real), "settings"), keys


def _follow_the_default(new: Settings, under: Settings, dropped: tuple[config.Key, ...]) -> Settings:
    """A look's threshold set back to the default leaves the file; in effect it must leave too, so that a
    later change of the default moves it, as it will after a restart."""
    own = under.policy.thresholds
    gone = {k[2] for k in dropped if k[:2] == ("policy", "thresholds") and k[2] not in own}
    if not gone & set(new.policy.thresholds):
        return new
    kept = {look: t for look, t in new.policy.thresholds.items() if look not in gone}
    return new.model_copy(update={"policy": new.policy.model_copy(update={"thresholds": kept})})


def save(change: SettingsChange, config_path: Path | None) -> None:
    """Write the checked changes file (atomically, so a crash leaves the old one or the new one)."""
    if change.on_disk is not None and config_path is not None:
        config.write_text(config_path, change.on_disk.text)
