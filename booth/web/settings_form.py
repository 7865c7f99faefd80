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


#: The form's fields after each look's threshold, in order: key, label, kind, group, step. Each one's help is
#: its setting's own description (a pin's with :data:`RESTART_NOTE`), so the form and the config agree.
FIXED_FIELDS = (
    ("policy.default_threshold", "Other looks", "float", "Thresholds", "0.01"),
    ("policy.gaze_horizontal_deg", "Gaze left/right (deg)", "float", "Gaze", "0.5"),
    ("policy.gaze_vertical_deg", "Gaze up/down (deg)", "float", "Gaze", "0.5"),
    ("policy.min_frames", "Hold frames", "int", "Stability", "1"),
    ("policy.min_ms", "Hold time (ms)", "float", "Stability", "10"),
    ("policy.cooldown_s", "Cooldown (s)", "float", "Stability", "0.5"),
    ("session.shot_list", "Shot list", "choice", "Session", "any"),
    ("session.shots_per_look", "Shots per look", "int", "Session", "1"),
    ("session.look_seconds", "Seconds per look", "float", "Session", "1"),
    ("standby.after_s", "Rest after (s)", "float", "Standby", "5"),
    ("standby.fps", "Frames a second at rest", "float", "Standby", "1"),
    ("pins.shutter", "Shutter GPIO", "pin", "Pins", "1"),
    ("pins.focus", "Focus GPIO", "pin", "Pins", "1"),
    ("pins.button", "Button GPIO", "pin", "Pins", "1"),
    ("pins.led", "Light GPIO", "pin", "Pins", "1"),
    ("camera.source", "Camera source", "text", "Camera", "any"),
)


def form_fields(looks: Iterable[str]) -> list[FormField]:
    """The fields of the form, in order; one threshold per configured look."""
    fields = [
        FormField(f"policy.thresholds.{look}", look.capitalize(), "float", "Thresholds", step="0.01")
        for look in looks
    ]
    for key, label, kind, group, step in FIXED_FIELDS:
        section, name = key.split(".")
        help_text = _pin_help(name) if kind == "pin" else _help(section, name)
        fields.append(FormField(key, label, kind, group, help_text, step))
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
