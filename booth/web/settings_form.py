"""The operator's settings form: which settings it shows, how form text becomes values, field errors.

Why validate here as well as in the service: :func:`booth.config.validate` stops at the first bad key (right
for a config file), but a form should mark every wrong field at once. So the changes are merged over the
current settings and checked with pydantic here, every error mapped to its field; only a clean form goes to
:meth:`BoothService.update_settings`, which validates again and persists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from booth import config
from booth.config import Section, Settings
from booth.shot_lists import PRESETS


@dataclass(frozen=True)
class FormField:
    key: str  # dotted settings key, also the form field name
    label: str
    kind: str  # "float", "int", "pin" (int or empty = none), "text", "choice"
    group: str
    help: str = ""
    step: str = "any"


#: GPIO lines are claimed once at start; a changed pin is saved but wired only by the next restart.
RESTART_NOTE = " (takes effect after the booth restarts: sudo systemctl restart booth)"


def _pin_help(name: str) -> str:
    return _help("pins", name) + RESTART_NOTE


def _help(section: str, name: str) -> str:
    model = Settings.model_fields[section].annotation
    assert isinstance(model, type) and issubclass(model, Section)  # every section is a Section
    return model.model_fields[name].description or ""


def form_fields(looks: Iterable[str]) -> list[FormField]:
    """The fields of the form, in order; one threshold per configured look."""
    fields = [
        FormField(f"policy.thresholds.{look}", look.capitalize(), "float", "Thresholds", step="0.01")
        for look in looks
    ]
    fields += [
        FormField(
            "policy.default_threshold",
            "Other looks",
            "float",
            "Thresholds",
            _help("policy", "default_threshold"),
            "0.01",
        ),
        FormField(
            "policy.gaze_horizontal_deg",
            "Gaze left/right (deg)",
            "float",
            "Gaze",
            _help("policy", "gaze_horizontal_deg"),
            "0.5",
        ),
        FormField(
            "policy.gaze_vertical_deg",
            "Gaze up/down (deg)",
            "float",
            "Gaze",
            _help("policy", "gaze_vertical_deg"),
            "0.5",
        ),
        FormField("policy.min_frames", "Hold frames", "int", "Stability", _help("policy", "min_frames"), "1"),
        FormField("policy.min_ms", "Hold time (ms)", "float", "Stability", _help("policy", "min_ms"), "10"),
        FormField(
            "policy.cooldown_s", "Cooldown (s)", "float", "Stability", _help("policy", "cooldown_s"), "0.5"
        ),
        FormField("session.shot_list", "Shot list", "choice", "Session", _help("session", "shot_list")),
        FormField(
            "session.shots_per_look",
            "Shots per look",
            "int",
            "Session",
            _help("session", "shots_per_look"),
            "1",
        ),
        FormField(
            "session.look_seconds",
            "Seconds per look",
            "float",
            "Session",
            _help("session", "look_seconds"),
            "1",
        ),
        FormField("standby.after_s", "Rest after (s)", "float", "Standby", _help("standby", "after_s"), "5"),
        FormField("standby.fps", "Frames a second at rest", "float", "Standby", _help("standby", "fps"), "1"),
        FormField("pins.shutter", "Shutter GPIO", "pin", "Pins", _pin_help("shutter"), "1"),
        FormField("pins.focus", "Focus GPIO", "pin", "Pins", _pin_help("focus"), "1"),
        FormField("pins.button", "Button GPIO", "pin", "Pins", _pin_help("button"), "1"),
        FormField("pins.led", "Light GPIO", "pin", "Pins", _pin_help("led"), "1"),
        FormField("camera.source", "Camera source", "text", "Camera", _help("camera", "source")),
    ]
    return fields


def shot_list_choices(settings: Settings) -> list[str]:
    return list(PRESETS) + [n for n in settings.session.custom_shot_lists if n not in PRESETS]


def current_values(settings: Settings, fields: Iterable[FormField]) -> dict[str, str]:
    """Form text for each field from the settings in effect (a look's threshold falls back to the default)."""
    values: dict[str, str] = {}
    for f in fields:
        parts = f.key.split(".")
        if parts[:2] == ["policy", "thresholds"]:
            value: Any = settings.policy.thresholds.get(parts[2], settings.policy.default_threshold)
        else:
            value = getattr(getattr(settings, parts[0]), parts[1])
        values[f.key] = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    return values


def _set(tree: dict[str, Any], key: str, value: Any) -> None:
    *path, last = key.split(".")
    node = tree
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value


def parse_form(form: Mapping[str, str], fields: Iterable[FormField]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form text to a nested change dict, plus ``{field key: error}`` for text that is not a number."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        if f.key not in form:
            continue
        text = form[f.key].strip()
        if f.kind in ("float", "int", "pin"):
            if text == "" and f.kind == "pin":
                _set(changes, f.key, None)
                continue
            try:
                value: Any = float(text) if f.kind == "float" else int(text)
            except ValueError:
                errors[f.key] = "Enter a whole number." if f.kind != "float" else "Enter a number."
                continue
            if f.kind == "float" and value != value:  # NaN
                errors[f.key] = "Enter a number."
                continue
            _set(changes, f.key, value)
        else:
            _set(changes, f.key, text)
    return changes, errors


def field_errors(settings: Settings, changes: Mapping[str, Any]) -> dict[str, str]:
    """Every validation error of ``changes`` over ``settings``, keyed by dotted setting (or section) name."""
    return config.errors_by_field(config.deep_merge(settings.model_dump(), changes))
