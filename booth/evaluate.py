"""Honest numbers: perception and looks against hand labels of the real test media.

Two label formats:

* ``tests/data/labels.json``: ``items``, each naming a media file, a frame (None for a photo), optionally a
  point inside the face's box for group photos, and any of ``face``, ``eyes_open``, ``engaged``, ``smile``,
  ``look``; a missing key is unlabelled.
* ``tests/data/gaze_labels.json``: ``clips``, frame by frame, each frame's ``gaze`` ("lens", a direction,
  "closed" or "unclear"), ``eyes`` ("open", "squint", "half", "closed", "lowered") and ``smile``. Engaged is
  gaze == "lens"; "unclear" is unlabelled. Eyes open are "open" and "squint"; "half" (mid-blink frames) is
  unlabelled for eyes.
* ``tests/data/expression_labels.json``: ``clips`` as above (``gaze`` may be absent) plus ``stills``, and
  an ``expression`` per face ("neutral", "soft_smile", "broad_smile", "laugh", "crying", "distressed",
  ...). Expressions that are no headshot look count as look "none" (:data:`NOT_A_LOOK`); a smile with the
  eyes open counts as "approachable"; the others are unlabelled for looks. Each expression also gets its
  own row of what the booth called, so "crying: none 118" is checked on every run.

Videos are read start to finish with tracking and the looks scorer's normal engagement hold, as the booth
reads a sitter; photos are read alone. Each media file is its own set, reported on its own line, and the
engaged call is also made with each gaze vote alone (geometric, blendshape) beside the fused one, with the
area under the ROC curve of the distance from the lens (tolerance-free), so that the fusion is checked
against its parts on every run. A calibration span (``MEDIA@FROM-TO``) calibrates that clip's sitter from
those frames, as the booth's baseline step would, and leaves them out of the counts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from booth import assets, looks
from booth.config import PolicySettings, VisionSettings
from booth.errors import ConfigError
from booth.looks.calibration import LensCalibration
from booth.looks.calibration import calibrate as calibrate_lens
from booth.looks.engine import ENGAGED_HOLD_SECONDS, NO_CALIBRATION
from booth.media import MediaSpan, is_video, iter_frames
from booth.vision import FacePipeline, FaceReading, Models, VisionParams
from booth.vision.gaze import compose
from booth.vision.geometry import gaze_within

#: Labelled expressions that are not a headshot look: the booth must call "none" on them.
NOT_A_LOOK = frozenset(
    {"neutral", "crying", "distressed", "speech", "grimace", "surprise", "anger", "disgust", "tongue_out"}
)
_SMILES = frozenset({"soft_smile", "broad_smile"})
ATTRIBUTES = ("face", "eyes_open", "engaged", "smile")
#: The engaged call is made with the fused gaze and with each vote alone: report name -> Gaze attribute.
_VOTE_ATTRIBUTES = {"fused": "eye_in_head", "geometric": "geometric", "blendshape": "blendshape"}
_EYES_OPEN_LABEL = {"open": True, "squint": True, "closed": False, "lowered": False}
#: Faces read per frame: every face of the group photos, so the labelled one (picked by ``at``) is there.
MAX_FACES = 8


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def add(self, truth: bool, said: bool) -> None:
        if truth and said:
            self.tp += 1
        elif truth:
            self.fn += 1
        elif said:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else float("nan")

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")


def auc(positives: list[float], negatives: list[float]) -> float:
    """Area under the ROC curve when a smaller value should mean positive (ties count half)."""
    if not positives or not negatives:
        return float("nan")
    pos, neg = np.array(positives)[:, None], np.array(negatives)[None, :]
    return float((pos < neg).mean() + 0.5 * (pos == neg).mean())


@dataclass
class Report:
    counts: dict[str, Counts] = field(default_factory=lambda: {a: Counts() for a in ATTRIBUTES})
    confusion: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)
    #: Engaged counts per media file ("set"), and per gaze vote (fused, geometric, blendshape).
    engaged_by_set: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    engaged_by_vote: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    #: Distance from the lens (in tolerance ellipses) of open-eyed lens and away frames, per vote.
    distances: dict[str, tuple[list[float], list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: ([], []))
    )
    calibrations: list[str] = field(default_factory=list)
    #: (labelled expression, the booth's called look) -> frames.
    expressions: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    #: Every call the booth made on a labelled attribute, as "media#frame attribute" -> the call (for
    #: comparing two perception set-ups frame by frame, see :mod:`booth.evaluate_mesh`).
    calls: dict[str, object] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"{'attribute':10} {'n':>4} {'accuracy':>9} {'precision':>10} {'recall':>7}"]
        for name, c in self.counts.items():
            out.append(f"{name:10} {c.n:4d} {c.accuracy():9.3f} {c.precision():10.3f} {c.recall():7.3f}")
        out += [f"calibration: {line}" for line in self.calibrations]
        for media, c in self.engaged_by_set.items():
            out.append(
                f"engaged on {media}: n={c.n} precision={c.precision():.3f} recall={c.recall():.3f} "
                f"(tp={c.tp} fp={c.fp} fn={c.fn} tn={c.tn})"
            )
        for vote, c in self.engaged_by_vote.items():
            pos, neg = self.distances[vote]
            out.append(
                f"gaze vote {vote:10}: precision={c.precision():.3f} recall={c.recall():.3f} "
                f"auc={auc(pos, neg):.4f}"
            )
        labels = sorted({t for t, _ in self.confusion} | {p for _, p in self.confusion})
        if labels:
            out.append("looks (rows: label, columns: booth's call)")
            out.append(" " * 14 + "".join(f"{p[:12]:>13}" for p in labels))
            for truth in labels:
                out.append(f"{truth[:12]:14}" + "".join(f"{self.confusion[(truth, p)]:13d}" for p in labels))
        rows = sorted({e for e, _ in self.expressions})
        if rows:
            out.append("expressions (rows: label, then each look at or over its threshold: frames)")
            for expression in rows:
                calls = sorted((c, n) for (e, c), n in self.expressions.items() if e == expression)
                out.append(f"{expression[:12]:14}" + "  ".join(f"{c} {n}" for c, n in calls))
        out += [f"miss: {m}" for m in self.misses]
        counts = self.counts
        out.append(
            f"eval: eyes={counts['eyes_open'].accuracy():.3f} engaged={counts['engaged'].accuracy():.3f} "
            f"smile={counts['smile'].accuracy():.3f}"
        )
        return out


def load_labels(path: Path) -> list[dict]:
    """Either label format, as ``items`` (see the module notes)."""
    try:
        data = json.loads(Path(path).read_text())
        if "clips" in data:
            return [
                _from_gaze_label(media, int(frame), label)
                for media, frames in data["clips"].items()
                for frame, label in frames.items()
            ] + [_from_gaze_label(s["media"], None, s) for s in data.get("stills", [])]
        items = data["items"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ConfigError(f"{path}: not a labels file ({err}); see tests/data/labels.json") from None
    return items


def _from_gaze_label(media: str, frame: int | None, label: dict) -> dict:
    item: dict = {"media": media, "frame": frame}
    if "at" in label:
        item["at"] = label["at"]
    if label.get("face") is False:
        item["face"] = False
        return item
    if label.get("gaze", "unclear") != "unclear":
        item["engaged"] = label["gaze"] == "lens"
    if label.get("eyes") in _EYES_OPEN_LABEL:
        item["eyes_open"] = _EYES_OPEN_LABEL[label["eyes"]]
    if "smile" in label:
        item["smile"] = label["smile"]
    expression = label.get("expression")
    if expression is not None:
        item["expression"] = expression
        if expression in NOT_A_LOOK:
            item["look"] = "none"
        elif expression in _SMILES and item.get("eyes_open"):  # eyes open, or narrowed by the smile
            item["look"] = "approachable"
    return item


def _largest(faces: list[FaceReading]) -> FaceReading | None:
    return max(faces, key=lambda f: f.area) if faces else None


def _pick(faces: list[FaceReading], at: list[float] | None) -> FaceReading | None:
    if not faces:
        return None
    if at is None:
        return _largest(faces)
    x, y = at
    inside = [f for f in faces if f.box[0] <= x <= f.box[2] and f.box[1] <= y <= f.box[3]]
    return inside[0] if inside else None


def _called_look(result: looks.LookResult, thresholds: looks.Thresholds) -> str:
    """The look the booth would fire on (at its threshold), or "none"."""
    best = max(result.scores, key=lambda name: result.scores[name])
    return best if result.scores[best] >= thresholds.for_look(best) else "none"


def _judge(
    report: Report,
    where: str,
    item: dict,
    faces: list[FaceReading],
    results: dict[int, looks.LookResult],
    thresholds: looks.Thresholds,
    votes: dict[str, LensCalibration | None],
) -> None:
    """Count the booth's calls on one labelled face against its labels (``results`` by ``id`` of face);
    ``votes`` holds each gaze vote's own lens calibration (None: uncalibrated)."""
    face = _pick(faces, item.get("at"))
    # Every labelled face is a face; face=false marks frames that must have none.
    report.calls[f"{where} face"] = face is not None
    report.counts["face"].add(item.get("face", True), face is not None)
    if face is None:
        if item.get("face", True):
            report.misses.append(f"{where}: no face found")
        return
    result = results[id(face)]
    said = {
        "eyes_open": face.eyes_open,
        # Where the eyes are, frame by frame: the short settling hold after a blink is not a call.
        "engaged": not set(result.verdict.reasons) - {"settling"},
        "smile": result.smiling,  # the booth's own smile call (booth.looks.smile)
    }
    for name, value in said.items():
        if name in item:
            report.calls[f"{where} {name}"] = value
            report.counts[name].add(item[name], value)
            if item[name] != value:
                report.misses.append(f"{where}: {name} labelled {item[name]}, booth said {value}")
    if "look" in item:
        report.calls[f"{where} look"] = _called_look(result, thresholds)
        report.confusion[(item["look"], _called_look(result, thresholds))] += 1
    if "expression" in item:  # every look at or over its threshold: two may fire together
        firing = [n for n, v in result.scores.items() if v >= thresholds.for_look(n)] or ["none"]
        for look in firing:
            report.expressions[(item["expression"], look)] += 1
    if "engaged" in item:
        report.engaged_by_set[item["media"]].add(item["engaged"], said["engaged"])
        _judge_votes(report, item["engaged"], face, votes, thresholds.gaze)


def _judge_votes(
    report: Report,
    truth: bool,
    face: FaceReading,
    votes: dict[str, LensCalibration | None],
    tolerance: tuple[float, float],
) -> None:
    """The engaged call made with the fused gaze and with each vote alone (eyes open, within the
    tolerance), each vote with its own calibration when the clip has one and the widened population
    tolerance when not, as the booth judges."""
    parts = face.gaze_parts
    for name, attribute in _VOTE_ATTRIBUTES.items():
        lens = votes.get(name)
        if lens is not None:
            gaze, ellipse = lens.gaze(face), tolerance
        else:
            gaze, ellipse = (
                compose(parts.rotation, getattr(parts, attribute)),
                NO_CALIBRATION.tolerance(tolerance),
            )
        report.engaged_by_vote[name].add(truth, face.eyes_open and gaze_within(gaze, ellipse))
        if face.eyes_open:
            distance = float(np.hypot(gaze[0] / ellipse[0], gaze[1] / ellipse[1]))
            report.distances[name][0 if truth else 1].append(distance)


def evaluate(
    items: list[dict],
    models: Models | None = None,
    calibrate: list[MediaSpan] | None = None,
    vision: Mapping[str, object] | None = None,
) -> Report:
    """Read each labelled media file once and count the booth's calls against the labels.

    Perception, thresholds and face size are the defaults (a booth without a config file), so the figures
    describe the booth as shipped. ``calibrate`` names spans of labelled clips to calibrate their sitter
    from; those frames are not counted. ``vision`` overrides vision settings (``booth eval --mesh`` and
    ``--fp16`` compare the tracking and the precision).
    """
    vision_settings = VisionSettings.model_validate({"max_faces": MAX_FACES, **(vision or {})})
    params = VisionParams.from_settings(vision_settings)
    policy = PolicySettings.model_validate({})
    thresholds = looks.Thresholds.from_settings(policy)
    models = models or Models.load(params)
    book = looks.load()
    report = Report()
    by_media: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_media[item["media"]].append(item)
    for media, wanted in by_media.items():
        path = assets.media_path(media)
        pipeline = FacePipeline(models=models, params=params)
        video = is_video(path)
        hold = ENGAGED_HOLD_SECONDS if video else 0.0
        span = next((s for s in calibrate or [] if s.path.name == media), None)
        # Readings only (not pixels) are kept: the calibration span may come after the labelled frames.
        read = [(f.index, f.timestamp, pipeline.analyze(f.pixels, track=video)) for f in iter_frames(path)]
        baseline = looks.Baseline({})
        votes: dict[str, LensCalibration | None] = {}
        if span is not None:
            # The lens only, as `booth simulate --calibrate` takes it: the named frames show where the lens
            # is, not necessarily a resting face.
            frames_of_span = [_largest(faces) for index, _, faces in read if span.covers(index)]
            baseline = looks.Baseline({}, looks.Baseline.capture(frames_of_span).calibration)
            report.calibrations.append(f"{span}: {baseline.calibration.describe()}")
            votes = {n: calibrate_lens(frames_of_span, vote).lens for n, vote in _VOTE_ATTRIBUTES.items()}
        scorer = looks.LookScorer(book, thresholds, policy.min_face_size, baseline, hold_seconds=hold)
        frames = {item["frame"] for item in wanted}
        for index, timestamp, faces in read:
            results = {id(f): scorer.score(f, timestamp) for f in faces}
            if index not in frames or (span is not None and span.covers(index)):
                continue
            for item in (i for i in wanted if i["frame"] == index):
                where = f"{media}#{index}" if video else media
                _judge(report, where, item, faces, results, thresholds, votes)
    return report
