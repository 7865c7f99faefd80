"""The sections of the booth's one configuration file, as pydantic models.

This module holds the shapes and the single-field checks only (and imports nothing of the booth's domain);
checks that need the looks, such as a shot list naming a look, are :mod:`booth.settings_check`'s. Each
default is written here once; the pure parts take frozen parameter dataclasses built ``from_settings``.

Every section rejects unknown keys and every field carries a description, so ``booth config check`` can say
which key in which file is wrong and suggest the nearest valid one. Sections belong to the part of the booth
that reads them; this module only assembles them (:mod:`booth.config.files` reads and writes them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from booth.config.base import Section
from booth.config.outbound import DeliverySettings, FleetSettings, HotspotSettings


class VisionSettings(Section):
    threads: int = Field(
        0,
        ge=0,
        le=8,
        description="TFLite interpreter threads per model; more than 1 also overlaps the emotion model. "
        "0 = auto: 2 on a machine with 4 or more cores (a Pi 4 or 5: the others convert camera frames, "
        "encode the preview and serve the page), else 1",
    )
    runtime: Literal["auto", "ai_edge_litert", "tflite_runtime"] = Field(
        "auto", description="TFLite runtime to prefer; auto tries ai_edge_litert, then tflite_runtime"
    )
    max_faces: int = Field(2, ge=1, le=8, description="Faces tracked at once (the booth picks the subject)")
    detect_every: int = Field(
        30, ge=1, description="While tracking, run the face detector anyway every N frames to find new faces"
    )
    emotions: bool = Field(True, description="Run the emotion model (needed by looks that use emotions)")
    tracking: Literal["full", "light"] = Field(
        "full",
        description="full: FaceMesh v2 on every frame; light: between full frames, track with FaceMesh v1 "
        "and the iris model, corrected toward v2 on each full frame (0.83 of the median time per frame "
        "in make bench). Light is not at parity with v2 on the test clips (booth eval --mesh): for a "
        "slow Pi only",
    )
    precision: Literal["fp32", "fp16"] = Field(
        "fp32",
        description="fp16: ask XNNPACK to run FaceMesh v2 in half precision, which it does only on a CPU "
        "with fp16 arithmetic (a Pi 5; a Pi 4 and x86 stay fp32). Not at parity with fp32 (emulated: 10 of "
        "1456 labelled calls changed) and not yet timed on a Pi: for a Pi 5 that cannot keep the frame "
        "rate; run tests/hardware and booth eval --fp16 there first (README, Measured)",
    )
    full_every: int = Field(
        6,
        ge=1,
        le=60,
        description="With light tracking, read FaceMesh v2 every N frames (also at a track's start, on "
        "stills, and while the look is near its threshold)",
    )
    full_near: float = Field(
        0.15,
        ge=0,
        le=1,
        description="With light tracking, read FaceMesh v2 while the target look's score is within this "
        "much below its threshold, or above it",
    )


class StandbySettings(Section):
    """An empty booth between sitters (owned by booth/service/standby.py)."""

    after_s: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="Between sessions, after this many seconds with no face in view, analyse only a few "
        "frames a second until a face is seen again (an empty booth stays cool); 0 = never",
    )
    fps: float = Field(
        5.0,
        gt=0,
        le=30,
        description="Frames analysed a second in standby; a sitter who walks in is seen on the next one "
        "(within 0.2 s at 5)",
    )


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
        description="picamera2 lores pixel format; auto tries BGR888 (Pi 5), then YUV420 (Pi 4)",
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
    gaze_horizontal_deg: float = Field(
        7.0,
        ge=2,
        le=45,
        description="Engaged gaze: degrees left or right of the sitter's lens direction still counted as "
        "looking into it (5 more without a lens calibration)",
    )
    gaze_vertical_deg: float = Field(
        8.0,
        ge=2,
        le=45,
        description="Engaged gaze: degrees above or below the sitter's lens direction still counted as "
        "looking into it",
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


# BCM lines pulled high at power-up (BCM2835 peripherals, "GPIO 0-8 pull-up, 9-27 pull-down"), plus the UART
# TX/RX lines that the firmware can drive during boot: an output idle at the wrong level here fires at boot.
_BOOT_HIGH_PINS = frozenset(range(9))
_BOOT_BUSY_PINS = frozenset({14, 15})


class PinSettings(Section):
    """GPIO wiring (owned by booth/hardware/). Pins are BCM numbers; None leaves a device out."""

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
            line = used.get(name)
            if line is None:
                continue
            pin = line
            boot_level_active = (pin in _BOOT_HIGH_PINS) == self.active_high
            if boot_level_active or pin in _BOOT_BUSY_PINS:
                want = "GPIO 9-13 or 16-27" if self.active_high else "GPIO 0-8"
                raise ValueError(
                    f"pins.{name} = {pin}: GPIO{pin} would be active while the Pi boots and fire the camera; "
                    f"with active_high = {str(self.active_high).lower()} use {want}"
                )
        return self


#: The parts of the best-frame score (booth/session.py) and their default weights.
ScorePart = Literal["look", "gaze", "eyes", "sharpness", "face_size"]
DEFAULT_WEIGHTS: dict[ScorePart, float] = {
    "look": 0.5,
    "gaze": 0.2,
    "eyes": 0.15,
    "sharpness": 0.1,
    "face_size": 0.05,
}


class LookBudget(Section):
    """How many shots one look gets and for how long, when it differs from the session's defaults; a key
    left out (or "none") keeps the session's ``shots_per_look`` or ``look_seconds``."""

    shots: int | None = Field(
        None, ge=1, le=20, description="Candidate shots kept for this look; None: shots_per_look"
    )
    seconds: float | None = Field(
        None, gt=0, le=600, description="Time budget for this look; None: look_seconds"
    )


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
        8.0,
        gt=0,
        le=120,
        description="Seconds to wait for a face at rest (eyes open, no smile, still), "
        "then shoot against a neutral default rest",
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
    weights: dict[ScorePart, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Weights of the best-frame score (normalised by their sum); see booth/session.py",
    )
    duplicate_landmark_tol: float = Field(
        0.01, ge=0, le=1, description="Mean landmark distance (face radii) below which shots are duplicates"
    )
    duplicate_score_tol: float = Field(
        0.05, ge=0, le=1, description="Largest look-score difference under which shots are near-duplicates"
    )

    # Single-field checks only; which looks and shot lists exist is booth.settings_check's. Field validators
    # rather than one for the model, so an error names its key (and `booth config check` can leave out just
    # that key to check the rest).
    @field_validator("custom_shot_lists")
    @classmethod
    def _no_empty_list(cls, lists: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, looks in lists.items():
            if not looks:
                raise ValueError(f"custom shot list {name!r} is empty; list at least one look")
        return lists

    @field_validator("weights")
    @classmethod
    def _some_weight(cls, weights: dict[ScorePart, float]) -> dict[ScorePart, float]:
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("weights must be >= 0 and not all 0")
        return weights


class StorageSettings(Section):
    """Database, photos, retention (owned by booth/storage/)."""

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
    lan_preview: bool = Field(
        False,
        description="Let any client on the network watch the live preview (/stream.mjpg) and read the face "
        "scores in /api/status and the event stream; off: only the kiosk screen and a logged-in operator do, "
        "other clients get 403 for the preview and the status without the face, trigger and hint",
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
    standby: StandbySettings = Field(
        default_factory=StandbySettings, description="An empty booth between sitters"
    )
    policy: PolicySettings = Field(default_factory=PolicySettings, description="Trigger decision")
    pins: PinSettings = Field(default_factory=PinSettings, description="GPIO wiring")
    session: SessionSettings = Field(default_factory=SessionSettings, description="Sessions and shot lists")
    storage: StorageSettings = Field(default_factory=StorageSettings, description="Storage")
    web: WebSettings = Field(default_factory=WebSettings, description="The booth page")
    looks: LooksSettings = Field(default_factory=LooksSettings, description="Looks")
    delivery: DeliverySettings = Field(default_factory=DeliverySettings, description="Cloud delivery (S3)")
    fleet: FleetSettings = Field(
        default_factory=FleetSettings, description="Fleet telemetry and commands (MQTT)"
    )
    hotspot: HotspotSettings = Field(default_factory=HotspotSettings, description="The booth's own Wi-Fi")
