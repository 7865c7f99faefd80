"""What the booth shows: one frozen :class:`BoothStatus`, built by the pure :func:`build_status`.

The analysis thread builds it from what it owns (the session, the last analysed frame, the runner's record)
and publishes it whole; the web threads read its typed fields and its two JSON forms. Why frozen and whole:
a status assembled on a web thread while the analysis thread changes the session could show one state
with another state's token. The camera and GPIO fields are the exception: their owners lock them, so
:meth:`BoothStatus.with_live` refreshes them on any thread.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from booth.policy import Decision
from booth.service.pace import Pace
from booth.service.tally import NO_SHOTS, ShutterCount
from booth.session import Progress, Session, SessionConfig, State
from booth.shooting import Face


@dataclass(frozen=True)
class CameraStatus:
    kind: str
    running: bool
    fault: str | None
    frames: int
    fps: float


@dataclass(frozen=True)
class LiveFields:
    """Read live on any thread: the camera's state, the pins' status and the shutter's count."""

    camera: CameraStatus
    gpio: Mapping[str, Any]
    shutter_pulses: int


@dataclass(frozen=True)
class BaselineStatus:
    """The baseline step as the kiosk shows it (see :mod:`booth.service.baseline`)."""

    seconds_left: float | None  # until the step gives up and shoots with the neutral default rest
    progress: float  # 0..1 of the run of rest frames it needs
    waiting_for: str  # the sentence for the sitter ("Relax your smile"), "" when all holds


@dataclass(frozen=True)
class SessionStatus:
    """The running session from the welcome screen on; ``id`` and ``token`` once consent stored it."""

    id: int | None
    token: str | None
    preset: str
    looks: tuple[str, ...]
    look_index: int | None
    message: str
    consent_text: str
    progress: Progress
    baseline: BaselineStatus | None = None

    def to_json(self, trusted: bool) -> dict[str, Any]:
        """The ``session`` block: the look-by-look plan, the photo counts and the clocks (see
        :class:`booth.session.Progress`); the gallery token only for trusted clients."""
        progress = self.progress
        data: dict[str, Any] = {
            "id": self.id,
            "preset": self.preset,
            "looks": list(self.looks),
            "look_index": self.look_index,
            "message": self.message,
            "consent_text": self.consent_text,
            "plan": [
                {
                    "look": p.look,
                    "shots": p.shots,
                    "seconds": p.seconds,
                    "kept": p.kept,
                    "state": p.state.value,
                    "missed_because": p.missed_because.value,
                }
                for p in progress.plan
            ],
            "photos": progress.shots_kept,
            "looks_with_photos": progress.looks_with_photos,
            "look_seconds_left": _seconds(progress.look_seconds_left),
            "seconds_left": _seconds(progress.seconds_left),
            "seconds_total": progress.seconds_total,
            "baseline": dataclasses.asdict(self.baseline) if self.baseline else None,
        }
        if trusted:
            data["token"] = self.token
        return data


def _asdict(value: Any) -> dict[str, Any]:
    return dataclasses.asdict(value) if value is not None else {}


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class ShotRef:
    """The last photo kept, for the kiosk's thumbnail (``session_token`` is private to trusted clients)."""

    id: int
    look: str
    session_token: str


@dataclass(frozen=True)
class StorageStatus:
    free_bytes: int | None
    retention_days: float
    sessions: int | None


@dataclass(frozen=True)
class DeliveryStatus:
    """The cloud delivery's outbox at a glance (None in the status when delivery is off)."""

    pending: int
    failing: int
    done: int
    error: str | None  # the bucket's last error, None while its last request worked


@dataclass(frozen=True)
class LinkStatus:
    """The cloud link of the session on screen: "pending" (queued, uploading), "failing" (retrying: the
    link will work once the bucket answers), "done"; ``link`` is known from the moment it is queued."""

    state: str
    link: str | None
    error: str = ""


@dataclass(frozen=True)
class BoothStatus:
    """The whole booth at one moment, as the page and ``/api/status`` show it."""

    state: State
    target_look: str | None
    hint: str
    scenario: str
    trigger: Decision | None
    subject: Face | None
    shots_taken: int
    retakes: int
    fault: str | None
    session: SessionStatus | None
    last_shot: ShotRef | None
    live: LiveFields
    analysis_fps: float
    storage: StorageStatus
    shutter: ShutterCount = NO_SHOTS
    plan_summary: tuple[int, float] = (0, 0.0)  # the configured shot list: looks, total seconds
    paused: str | None = None  # why the booth starts no session (the operator or the fleet paused it)
    delivery: DeliveryStatus | None = None
    link: LinkStatus | None = None  # the cloud link of the session on screen (trusted clients only)
    #: CPU ms per camera frame by stage, "other" and "total", over the service's last CPU window (None
    #: before the first): what ``make bench`` measures, from the booth as it runs.
    cpu_ms_per_frame: Mapping[str, float] | None = None
    #: The analysis falls short of the camera's pace (:mod:`booth.service.pace`): one line, cause and fix.
    analysis_warning: str | None = None
    #: Nobody in view between sessions: few frames analysed on purpose (:mod:`booth.service.standby`).
    standby: bool = False

    @property
    def camera(self) -> CameraStatus:
        return self.live.camera

    @property
    def gpio(self) -> Mapping[str, Any]:
        return self.live.gpio

    @property
    def shutter_pulses(self) -> int:
        return self.live.shutter_pulses

    def with_live(self, live: LiveFields) -> BoothStatus:
        return dataclasses.replace(self, live=live)

    def to_json(self, trusted: bool = True) -> dict[str, Any]:
        """The JSON of ``/api/status`` and the status event. Untrusted clients (not the kiosk screen, not
        the operator) never get the gallery token of the current or last session."""
        session = self.session.to_json(trusted) if self.session else None
        if session is not None and trusted:
            session["link"] = dataclasses.asdict(self.link) if self.link else None
        last_shot = dataclasses.asdict(self.last_shot) if self.last_shot else None
        if last_shot is not None and not trusted:
            del last_shot["session_token"]
        return {
            "state": self.state.value,
            "target_look": self.target_look,
            "hint": self.hint,
            "scenario": self.scenario,
            "trigger": self.trigger.to_json() if self.trigger else None,
            "face": face_json(self.subject),
            "shots_taken": self.shots_taken,
            "retakes": self.retakes,
            "fault": self.fault,
            "shutter_pulses": self.shutter_pulses,
            "session": session,
            "camera": dataclasses.asdict(self.camera),
            "gpio": dict(self.gpio),
            "analysis_fps": self.analysis_fps,
            "analysis_warning": self.analysis_warning,
            "analysis_standby": self.standby,
            "cpu_ms_per_frame": (
                None
                if self.cpu_ms_per_frame is None
                else {k: round(v, 2) for k, v in self.cpu_ms_per_frame.items() if math.isfinite(v)}
            ),
            "last_shot": last_shot,
            "storage": dataclasses.asdict(self.storage),
            "shutter": self.shutter.to_json(),
            "plan_summary": {"looks": self.plan_summary[0], "seconds": self.plan_summary[1]},
            "paused": self.paused,
            "delivery": self._delivery_json(trusted),
        }

    def _delivery_json(self, trusted: bool) -> dict[str, Any]:
        """The outbox's counts for anyone; the bucket's last error (it may name an object key, the only
        secret of a public-read gallery) for the kiosk and the operator only."""
        data = {"enabled": self.delivery is not None, **_asdict(self.delivery)}
        if not trusted:
            data.pop("error", None)
        return data


def face_json(subject: Face | None) -> dict[str, Any] | None:
    """The sitter's face as the page draws it: look scores, verdict, eyes, gaze, pose and timings."""
    if subject is None:
        return None
    reading, result = subject
    return {
        **result.to_json(),
        "eyes_open": reading.eyes_open,
        "gaze": {"x": round(reading.gaze[0], 1), "y": round(reading.gaze[1], 1)},
        "head_pose": {k: round(v, 1) for k, v in vars(reading.head_pose).items()},
        "timings_ms": {k: round(v, 2) for k, v in reading.timings_ms.items()},
    }


def session_status(
    session: Session,
    record_id: int | None,
    token: str | None,
    message: str,
    progress: Progress,
    baseline: BaselineStatus | None = None,
) -> SessionStatus:
    cfg = session.config
    return SessionStatus(
        id=record_id,
        token=token,
        preset=cfg.shot_list_name,
        looks=tuple(p.look for p in cfg.shot_list),
        look_index=progress.look_index,
        message=message,
        consent_text=cfg.consent_text,
        progress=progress,
        baseline=baseline,
    )


def build_status(
    *,
    session: Session,
    scenarios: Mapping[str, str],
    last: Decision | None,
    subject: Face | None,
    record: tuple[int, str] | None,
    message: str,
    retakes: int,
    fault: str | None,
    last_shot: ShotRef | None,
    live: LiveFields,
    pace: Pace,
    storage: StorageStatus,
    now: float | None = None,
    cpu_ms_per_frame: Mapping[str, float] | None = None,
    start_plan: SessionConfig | None = None,
    baseline: BaselineStatus | None = None,
    shutter: ShutterCount = NO_SHOTS,
    paused: str | None = None,
    delivery: DeliveryStatus | None = None,
    link: LinkStatus | None = None,
    standby: bool = False,
) -> BoothStatus:
    """The status from what the analysis thread owns (pure: every value is passed in). A few lines over
    the function guide: it is one flat assembly of the status's fields, clearer whole than split.

    The session is the one source of the target look, the shot counts and the progress; ``record`` is the
    stored session's id and gallery token once consent created it.
    """
    state = session.state
    target = session.target_look
    progress = session.progress(now)
    plans = (start_plan or session.config).shot_list  # what Start would run now
    block = None
    if state is not State.IDLE:
        block = session_status(
            session,
            record[0] if record else None,
            record[1] if record else None,
            message,
            progress,
            baseline,
        )
    return BoothStatus(
        state=state,
        target_look=target,
        hint=subject[1].hint if subject else "",
        scenario=scenarios.get(target, ""),
        trigger=last,
        subject=subject,
        shots_taken=progress.shots_kept,
        retakes=retakes,
        fault=fault,
        session=block,
        last_shot=last_shot,
        live=live,
        analysis_fps=round(pace.fps, 1),
        analysis_warning=pace.warning,
        standby=standby,
        storage=storage,
        shutter=shutter,
        plan_summary=(len(plans), sum(p.seconds for p in plans)),
        paused=paused,
        delivery=delivery,
        link=link if block is not None else None,
        cpu_ms_per_frame=cpu_ms_per_frame,
    )
