"""The booth's one configuration file (TOML), validated with pydantic.

Every section rejects unknown keys and every field carries a description, so ``booth config check`` can say
which key in which file is wrong and suggest the nearest valid one. Sections belong to the part of the booth
that reads them; this module only assembles and loads them.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from booth.errors import ConfigError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class VisionSettings(Section):
    threads: int = Field(1, ge=1, le=8, description="TFLite interpreter threads per model")
    runtime: Literal["auto", "ai_edge_litert", "tflite_runtime"] = Field(
        "auto", description="TFLite runtime to prefer; auto tries ai_edge_litert, then tflite_runtime"
    )
    max_faces: int = Field(2, ge=1, le=8, description="Faces tracked at once (the booth picks the subject)")
    detect_every: int = Field(
        30, ge=1, description="While tracking, run the face detector anyway every N frames to find new faces"
    )
    emotions: bool = Field(True, description="Run the emotion model (needed by looks that use emotions)")


class CameraSettings(Section):
    source: str = Field(
        "auto",
        description='"auto", "picamera2", "usb:N" or "replay:PATH" (a video, or a folder of images)',
    )
    analysis_size: tuple[int, int] = Field((640, 480), description="Width, height of the analysis stream")
    still_size: tuple[int, int] | None = Field(
        None, description="Width, height of full-resolution stills; None = the sensor's largest"
    )
    fps: float = Field(30.0, gt=0, le=120, description="Frame rate of the analysis stream")
    ring_seconds: float = Field(1.5, ge=0, le=10, description="Seconds of full-resolution frames kept")
    focus: Literal["continuous", "manual"] = Field("continuous", description="Autofocus mode")
    lens_position: float | None = Field(
        None, ge=0, description="Dioptres for manual focus (1 / distance in metres); None keeps the default"
    )
    exposure_us: int | None = Field(None, gt=0, description="Fixed exposure time in µs; None = auto")
    analogue_gain: float | None = Field(None, gt=0, description="Fixed analogue gain; None = auto")
    stall_seconds: float = Field(2.0, gt=0, description="No new frame for this long is a camera fault")
    replay_realtime: bool = Field(True, description="Pace replayed footage at its own frame rate")


class PolicySettings(Section):
    """Trigger decision (owned by booth/policy.py)."""


class PinSettings(Section):
    """GPIO wiring (owned by booth/hardware.py)."""


class SessionSettings(Section):
    """Shot lists and session timing (owned by booth/session.py)."""


class StorageSettings(Section):
    """Database, photos, retention (owned by booth/storage.py)."""


class WebSettings(Section):
    """The booth page (owned by booth/web/)."""


class Settings(Section):
    """The whole configuration file."""

    vision: VisionSettings = Field(default_factory=VisionSettings, description="Perception")
    camera: CameraSettings = Field(default_factory=CameraSettings, description="Camera")
    policy: PolicySettings = Field(default_factory=PolicySettings, description="Trigger decision")
    pins: PinSettings = Field(default_factory=PinSettings, description="GPIO wiring")
    session: SessionSettings = Field(default_factory=SessionSettings, description="Sessions and shot lists")
    storage: StorageSettings = Field(default_factory=StorageSettings, description="Storage")
    web: WebSettings = Field(default_factory=WebSettings, description="The booth page")


def _suggest(key: str, model: type[BaseModel]) -> str:
    close = difflib.get_close_matches(key, list(model.model_fields), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(model.model_fields)}"


def _model_at(loc: tuple, model: type[BaseModel]) -> type[BaseModel]:
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return model


def validate(data: dict, source: str = "<config>") -> Settings:
    """Validate a parsed TOML mapping; raise one :class:`ConfigError` line per file naming key and fix."""
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        key = ".".join(str(p) for p in loc)
        if first["type"] == "extra_forbidden":
            hint = _suggest(str(loc[-1]), _model_at(loc, Settings))
            raise ConfigError(f"{source}: unknown key {key!r}{hint}") from None
        raise ConfigError(f"{source}: {key}: {first['msg']} (got {first.get('input')!r})") from None


def load(path: Path | str | None) -> Settings:
    """Load and validate a config file; ``None`` gives the defaults."""
    if path is None:
        return Settings()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; create it or drop --config") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err}); fix the line named") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file; a config file is UTF-8 TOML") from None
    return validate(data, str(path))
