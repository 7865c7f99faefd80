"""The base of every settings section: unknown keys refused, no inf or nan, ``"none"`` read as None."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, model_validator

#: How an unset optional value is written in TOML, which has no null (``pins.focus = "none"``).
NONE = "none"


class Section(BaseModel):
    # No inf or nan anywhere: TOML can spell them, but no setting means "infinitely many days", and a JSON
    # body's Infinity must not reach the file as a value the next start refuses.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _none_from_toml(cls, data: Any) -> Any:
        """Read ``"none"`` as None for the fields that may be unset, so clearing one (a pin that is not
        wired) survives being saved and read back."""
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                if data.get(name) == NONE and type(None) in get_args(field.annotation):
                    data = {**data, name: None}
        return data
