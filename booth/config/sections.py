"""The booth's one configuration file (TOML), validated with pydantic.

Every section rejects unknown keys and every field carries a description, so ``booth config check`` can say
which key in which file is wrong and suggest the nearest valid one. Sections belong to the part of the booth
that reads them; this module only assembles and loads them.
"""

from __future__ import annotations

import copy
import difflib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from booth.errors import ConfigError

#: How an unset optional value is written in TOML, which has no null (``pins.focus = "none"``).
NONE = "none"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

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
    """Camera source, streams, focus, fault handling (owned by booth/camera/)."""

    source: str = Field(
        "auto",
        pattern=r"^(auto|picamera2|usb:\d+|replay:.+)$",
        description='"auto", "picamera2", "usb:N" or "replay:PATH" (a video, or a folder of images)',
    )
    analysis_size: tuple[int, int] = Field(
        (640, 480),
        description="Width, height the analysis frames fit in; a Pi camera's keep the still's aspect "
        "inside it (a 16:9 still gives 640x360), so faces are not squashed",
    )
    analysis_format: Literal["auto", "YUV420", "XBGR8888", "RGB888", "BGR888"] = Field(
        "auto",
        description="picamera2 lores pixel format; auto tries XBGR8888 (Pi 5), then YUV420 (Pi 4)",
    )
    still_size: tuple[int, int] | None = Field(
        None,
        description="Width, height of the Pi camera's stills; None = the largest sensor mode that keeps up "
        "with fps (Camera Module 3: 2304x1296 at 30 fps)",
    )
    fps: float = Field(30.0, gt=0, le=120, description="Frame rate of the analysis stream")
    ring_seconds: float = Field(1.5, ge=0, le=10, description="Seconds of full-resolution frames kept")
    ring_max_mb: float = Field(
        300.0,
        gt=0,
        le=4096,
        description="Memory cap of the full-resolution ring; it keeps fewer seconds if hit",
    )
    buffer_count: int = Field(4, ge=2, le=12, description="picamera2 buffers per stream (each is CMA memory)")
    focus: Literal["continuous", "manual"] = Field("continuous", description="Autofocus mode")
    lens_position: float | None = Field(
        None,
        ge=0,
        le=32,
        description="Dioptres for manual focus (1 / distance in metres); None keeps the default",
    )
    exposure_us: int | None = Field(None, gt=0, description="Fixed exposure time in µs; None = auto")
    analogue_gain: float | None = Field(None, gt=0, description="Fixed analogue gain; None = auto")
    stall_seconds: float = Field(2.0, gt=0, le=60, description="No new frame for this long is a camera fault")
    retry_min_seconds: float = Field(
        0.5, gt=0, le=60, description="First wait before reopening a faulted camera; doubles on each failure"
    )
    retry_max_seconds: float = Field(10.0, gt=0, le=600, description="Longest wait between reopen attempts")
    replay_realtime: bool = Field(True, description="Pace replayed footage at its own frame rate")


class PolicySettings(Section):
    """Trigger decision (owned by booth/policy.py): when a held look with an engaged gaze fires."""

    default_threshold: float = Field(
        0.6, ge=0, le=1, description="Score (0..1) at which a look arms the trigger unless in thresholds"
    )
    thresholds: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="Per-look arming thresholds, e.g. {approachable = 0.55}"
    )
    hysteresis: float = Field(
        0.05, ge=0, le=0.5, description="Disarm only when the score falls below threshold - hysteresis"
    )
    min_frames: int = Field(4, ge=1, le=300, description="Frames the look must be held before firing")
    min_ms: float = Field(120.0, ge=0, le=10_000, description="Milliseconds the look must be held to fire")
    max_gap_ms: float = Field(
        250.0, gt=0, le=10_000, description="A longer gap between analysed frames restarts the hold"
    )
    cooldown_s: float = Field(3.0, ge=0, le=600, description="Seconds after a shot before the next can fire")
    min_face_size: float = Field(
        0.12, ge=0, le=1, description="Smallest subject face, as face box height / frame height"
    )
    dominance_ratio: float = Field(
        1.5,
        gt=1,
        le=100,
        description="With several faces the largest fires only if this many times the next one's area",
    )
    burst: int = Field(1, ge=1, le=10, description="Frames saved per shot around the peak (1 = the peak)")

    def threshold_for(self, look: str) -> float:
        """The one threshold of a look, used to fire, to coach ("Hold that!"), to re-check stills and to
        evaluate: its own entry in ``thresholds``, else ``default_threshold``."""
        return self.thresholds.get(look, self.default_threshold)


# BCM lines pulled high at power-up (BCM2835 peripherals, "GPIO 0-8 pull-up, 9-27 pull-down"), plus the UART
# TX/RX lines that the firmware can drive during boot: an output idle at the wrong level here fires at boot.
_BOOT_HIGH_PINS = frozenset(range(9))
_BOOT_BUSY_PINS = frozenset({14, 15})


class PinSettings(Section):
    """GPIO wiring (owned by booth/hardware.py). Pins are BCM numbers; None leaves a device out."""

    factory: Literal["auto", "real", "mock"] = Field(
        "auto",
        description='"auto": real pins on a Raspberry Pi, mock pins (with a warning) elsewhere; "real" or '
        '"mock" force one (GPIOZERO_PIN_FACTORY names the real library, default lgpio)',
    )
    focus: int | None = Field(23, ge=0, le=27, description="Camera remote focus (half-press) line or None")
    shutter: int = Field(24, ge=0, le=27, description="Camera remote shutter line (through an optocoupler)")
    active_high: bool = Field(
        True, description="Remote lines are active high (GPIO drives the optocoupler LED to ground)"
    )
    focus_lead_ms: float = Field(
        150.0, ge=0, le=3000, description="Focus held this long before the shutter line goes active"
    )
    shutter_pulse_ms: float = Field(100.0, gt=0, le=3000, description="Length of one shutter pulse")
    burst_gap_ms: float = Field(150.0, ge=0, le=3000, description="Pause between shutter pulses of a burst")
    button: int | None = Field(17, ge=0, le=27, description="Start button (press: start, hold: cancel)")
    button_pull_up: bool = Field(True, description="Button wired to ground, using the internal pull-up")
    bounce_ms: float = Field(30.0, ge=0, le=1000, description="Button debounce time")
    hold_s: float = Field(2.0, gt=0, le=30, description="Holding the button this long cancels the session")
    led: int | None = Field(27, ge=0, le=27, description="Status light line; None = no light")
    led_pwm: bool = Field(True, description="Drive the status light with PWM (fades) rather than on/off")
    led_active_high: bool = Field(True, description="Status light lights when its line is high")
    buzzer: int | None = Field(None, ge=0, le=27, description="Buzzer for a cue on each shot; None: none")
    buzzer_ms: float = Field(80.0, gt=0, le=2000, description="Length of the buzzer cue")

    @model_validator(mode="after")
    def _check_wiring(self) -> PinSettings:
        lines = {"focus": self.focus, "shutter": self.shutter, "button": self.button}
        lines.update(led=self.led, buzzer=self.buzzer)
        used = {name: pin for name, pin in lines.items() if pin is not None}
        seen: dict[int, str] = {}
        for name, pin in used.items():
            if pin in seen:
                raise ValueError(f"{name} and {seen[pin]} both use GPIO{pin}; give each device its own pin")
            seen[pin] = name
        for name in ("focus", "shutter"):
            pin = used.get(name)
            if pin is None:
                continue
            boot_level_active = (pin in _BOOT_HIGH_PINS) == self.active_high
            if boot_level_active or pin in _BOOT_BUSY_PINS:
                want = "GPIO 9-13 or 16-27" if self.active_high else "GPIO 0-8"
                raise ValueError(
                    f"pins.{name} = {pin}: GPIO{pin} would be active while the Pi boots and fire the camera; "
                    f"with active_high = {str(self.active_high).lower()} use {want}"
                )
        return self


class LookBudget(Section):
    """How many shots one look gets and for how long, when it differs from the session's defaults."""

    shots: int = Field(3, ge=1, le=20, description="Candidate shots kept for this look before moving on")
    seconds: float = Field(25.0, gt=0, le=600, description="Time budget for this look, then move on")


class SessionSettings(Section):
    """Shot lists and session timing (owned by booth/session.py)."""

    consent_text: str = Field(
        "Photos are kept for the studio's retention period and shared only through your private link.",
        min_length=1,
        max_length=2000,
        description="What the sitter agrees to on the welcome screen; nothing is stored before they do",
    )
    shot_list: str = Field(
        "full range",
        min_length=1,
        description='Preset ("commercial", "theatrical", "full range") or a name from custom_shot_lists',
    )
    custom_shot_lists: dict[str, list[str]] = Field(
        default_factory=dict, description='Studio shot lists: name -> looks in order, e.g. solo = ["intense"]'
    )
    shots_per_look: int = Field(3, ge=1, le=20, description="Candidate shots kept per look before moving on")
    look_seconds: float = Field(25.0, gt=0, le=600, description="Time budget per look, then move on")
    per_look: dict[str, LookBudget] = Field(
        default_factory=dict, description="Per-look overrides of shots_per_look and look_seconds"
    )
    welcome_timeout: float = Field(
        60.0, gt=0, le=3600, description="Seconds to wait for consent, then expire"
    )
    baseline_timeout: float = Field(
        10.0, gt=0, le=120, description="Seconds to wait for the rest baseline, then expire"
    )
    absent_timeout: float = Field(
        20.0, gt=0, le=600, description="Seconds with no face while shooting before the session expires"
    )
    review_timeout: float = Field(
        90.0, gt=0, le=3600, description="Seconds on the review screen, then the photos count as delivered"
    )
    end_screen_seconds: float = Field(
        8.0, ge=0, le=600, description="Seconds the delivered/expired/aborted screen stays before idle"
    )
    fault_timeout: float = Field(
        30.0, gt=0, le=3600, description="Seconds a fault may last before the session is aborted"
    )
    sharpness_scale: float = Field(
        150.0, gt=0, description="Laplacian variance at which sharpness counts 63% (1 - exp(-v / scale))"
    )
    face_size_target: float = Field(
        0.35, gt=0, le=1, description="Face height / frame height at which face size counts fully"
    )
    weights: dict[Literal["look", "gaze", "eyes", "sharpness", "face_size"], float] = Field(
        default_factory=lambda: {"look": 0.5, "gaze": 0.2, "eyes": 0.15, "sharpness": 0.1, "face_size": 0.05},
        description="Weights of the best-frame score (normalised by their sum); see booth/session.py",
    )
    duplicate_landmark_tol: float = Field(
        0.01, ge=0, le=1, description="Mean landmark distance (face radii) below which shots are duplicates"
    )
    duplicate_score_tol: float = Field(
        0.05, ge=0, le=1, description="Largest look-score difference under which shots are near-duplicates"
    )

    @model_validator(mode="after")
    def _check_shot_list(self) -> SessionSettings:
        from booth.session import PRESETS  # deferred: session.py is pure and must not import config

        for name, looks in self.custom_shot_lists.items():
            if not looks:
                raise ValueError(f"custom shot list {name!r} is empty; list at least one look")
        known = {**PRESETS, **self.custom_shot_lists}
        if self.shot_list not in known:
            raise ValueError(f"unknown shot list {self.shot_list!r}; use one of {', '.join(sorted(known))}")
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) <= 0:
            raise ValueError("weights must be >= 0 and not all 0")
        return self


class StorageSettings(Section):
    """Database, photos, retention (owned by booth/storage.py)."""

    jpeg_quality: int = Field(92, ge=50, le=100, description="JPEG quality of stored originals and crops")
    retention_days: float = Field(
        30.0, ge=0, description="Sessions older than this many days are deleted (files and rows); 0 keeps all"
    )
    min_free_mb: float = Field(
        500.0, ge=0, description="Below this much free disk space no new session starts"
    )
    shot_reserve_mb: float = Field(
        20.0, ge=0, description="A running session stops keeping shots below this much free space"
    )
    verify_hashes_on_start: bool = Field(
        False, description="On start, re-hash every photo against its recorded sha256 (slow on big stores)"
    )
    write_timeout: float = Field(
        30.0, gt=0, le=600, description="Seconds a caller waits for the writer thread before giving up"
    )


class WebSettings(Section):
    """The booth page (owned by booth/web/): server threads, stream caps, gallery links, operator login."""

    threads: int = Field(
        16, ge=4, le=64, description="Server worker threads; each live stream (preview, events) holds one"
    )
    max_preview_viewers: int = Field(
        3, ge=1, le=16, description="Live preview (MJPEG) viewers at once; one more gets 503"
    )
    max_event_clients: int = Field(
        6, ge=1, le=32, description="Live event (SSE) listeners at once; one more gets 503"
    )
    preview_fps: float = Field(12.0, gt=0, le=30, description="Frame rate cap of the live preview stream")
    preview_quality: int = Field(70, ge=30, le=95, description="JPEG quality of the live preview")
    stream_recycle_s: float = Field(
        300.0,
        ge=10,
        le=3600,
        description="A preview or event stream is closed after this long (the page reopens it)",
    )
    heartbeat_s: float = Field(
        10.0, gt=0, le=120, description="Seconds between keep-alive comments on a quiet event stream"
    )
    public_url: str = Field(
        "",
        pattern=r"^(https?://[A-Za-z0-9.\-\[\]:]+)?$",
        description='Base of gallery links in the QR code, e.g. "http://booth.local:8080"; empty: the '
        "page's own address (or the booth's network address when the kiosk runs on the booth itself)",
    )
    kiosk_addresses: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Client addresses trusted as the kiosk screen: only they (and the operator) see the "
        "current sitter's gallery link and QR code",
    )
    max_request_kb: int = Field(64, ge=4, le=4096, description="Largest request body accepted (413 beyond)")
    login_attempts: int = Field(
        5, ge=1, le=100, description="Failed operator logins allowed per client address per login_window_s"
    )
    login_window_s: float = Field(300.0, gt=0, le=86400, description="Window of the login rate limit")
    login_hours: float = Field(12.0, gt=0, le=720, description="An operator login lasts this many hours")

    @model_validator(mode="after")
    def _check_threads(self) -> WebSettings:
        streams = self.max_preview_viewers + self.max_event_clients
        if self.threads < streams + 2:
            raise ValueError(
                f"web.threads = {self.threads} leaves no thread for page requests when all {streams} streams "
                f"are open; set web.threads to at least {streams + 2} or lower the stream caps"
            )
        return self


class LooksSettings(Section):
    """The looks the booth knows (owned by booth/looks/)."""

    file: Path | None = Field(
        None,
        description="Operator's looks file (TOML, like booth/looks/default_looks.toml): adds looks, or "
        "replaces shipped ones by name; None = the shipped five",
    )


class Settings(Section):
    """The whole configuration file."""

    vision: VisionSettings = Field(default_factory=VisionSettings, description="Perception")
    camera: CameraSettings = Field(default_factory=CameraSettings, description="Camera")
    policy: PolicySettings = Field(default_factory=PolicySettings, description="Trigger decision")
    pins: PinSettings = Field(default_factory=PinSettings, description="GPIO wiring")
    session: SessionSettings = Field(default_factory=SessionSettings, description="Sessions and shot lists")
    storage: StorageSettings = Field(default_factory=StorageSettings, description="Storage")
    web: WebSettings = Field(default_factory=WebSettings, description="The booth page")
    looks: LooksSettings = Field(default_factory=LooksSettings, description="Looks")

    @model_validator(mode="after")
    def _check_look_names(self) -> Settings:
        """Every look a shot list names must exist (shipped or in the operator's file): a typo would
        otherwise pass here and only show when a sitter starts a session."""
        from booth.looks import load as load_looks  # deferred: looks are pure and import no config at load

        names = sorted(load_looks(self.looks.file).looks)
        for name, looks in self.session.custom_shot_lists.items():
            for look in looks:
                if look not in names:
                    close = difflib.get_close_matches(look, names, n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(names)}"
                    raise ValueError(f"custom shot list {name!r}: unknown look {look!r}; {hint}")
        return self


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
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "value_error":  # our own checks: the message names the value already
            where = f"{key}: " if key else ""
            raise ConfigError(f"{source}: {where}{message}") from None
        got = repr(first.get("input"))
        if len(got) > 60:
            got = got[:57] + "..."
        raise ConfigError(f"{source}: {key}: {message} (got {got})") from None


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


# --- writing (booth config show, and settings changed on the operator page) ---


def _toml_value(value: object) -> str:
    # JSON's literals are TOML's for what settings hold (strings, numbers, booleans, arrays of them).
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def to_toml(data: dict, prefix: str = "") -> str:
    """Settings as TOML. TOML has no null: an unset optional key is written as :data:`NONE`."""
    lines = []
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):  # a section, or a mapping field: a [table] either way
            tables.append((key, value))
        elif value is None:
            lines.append(f"{_toml_key(key)} = {_toml_value(NONE)}")
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables:
        name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
        body = to_toml(value, name)
        lines.append("")
        lines.append(f"[{name}]")
        if body:
            lines.append(body)
    return "\n".join(lines).strip("\n")


def save(settings: Settings, path: Path | str) -> None:
    """Persist settings as TOML, atomically (a crash never leaves half a config file)."""
    write_table(Path(path), settings.model_dump(mode="json"))


# --- layers: the studio's base file, and the operator page's changes over it ---

#: The operator page's changes, saved in the booth's data folder (writable under systemd's ProtectSystem).
CHANGES_FILE = "booth.toml"


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``base``, recursively for tables: a change names only the keys it changes
    (``{"policy": {"thresholds": {"intense": 0.5}}}`` keeps every other look's threshold)."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_table(path: Path | None) -> dict[str, Any]:
    """A settings file's own contents, unvalidated (``{}`` when there is none yet)."""
    if path is None:
        return {}
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML ({err}); fix the file, or delete it to drop it") from None


def write_table(path: Path, data: Mapping[str, Any]) -> None:
    """Write a settings file atomically; a folder we may not write to is one line naming it."""
    from booth.atomic import write_atomic  # deferred: config is imported early and by pure modules

    try:
        write_atomic(path, to_toml(dict(data)).encode())
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot save settings ({err.strerror or err}); make its folder writable"
        ) from None


def load_layered(base: Path | None, changes: Path | None) -> Settings:
    """The base file's settings with the changes file (when present) deep-merged over them.

    The base is validated alone (an error names it); the changes only over the base, as the operator page
    checks them before saving: they may name a shot list the base defines.
    """
    settings = load(base)
    same = base is not None and changes is not None and Path(base).resolve() == Path(changes).resolve()
    if changes is None or same or not Path(changes).is_file():
        return settings
    merged = deep_merge(settings.model_dump(mode="json"), read_table(changes))
    return validate(merged, f"{changes} (over {base or 'the defaults'})")
