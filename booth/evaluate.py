"""Honest numbers: perception and looks against hand labels of the real test media.

Labels (``tests/data/labels.json``) name a media file, a frame (None for a photo), optionally a point
inside the face's box for group photos, and any of ``face``, ``eyes_open``, ``engaged``, ``smile``, ``look``;
a missing key is unlabelled. Videos are read start to finish with tracking and the looks scorer's normal
engagement hold, as the booth reads a sitter; photos are read alone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from booth import assets, looks
from booth.config import PolicySettings, VisionSettings
from booth.errors import ConfigError
from booth.looks.engine import ENGAGED_HOLD_SECONDS
from booth.looks.signals import extract
from booth.media import is_video, iter_frames
from booth.vision import FacePipeline, FaceReading, Models, VisionParams

#: The smile call: the ``warm_smile`` signal (mouth smile, confirmed by the emotion model) at or above this.
SMILE_MIN = 0.3
ATTRIBUTES = ("face", "eyes_open", "engaged", "smile")
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


@dataclass
class Report:
    counts: dict[str, Counts] = field(default_factory=lambda: {a: Counts() for a in ATTRIBUTES})
    confusion: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{'attribute':10} {'n':>4} {'accuracy':>9} {'precision':>10} {'recall':>7}"]
        for name, c in self.counts.items():
            out.append(f"{name:10} {c.n:4d} {c.accuracy():9.3f} {c.precision():10.3f} {c.recall():7.3f}")
        labels = sorted({t for t, _ in self.confusion} | {p for _, p in self.confusion})
        if labels:
            out.append("looks (rows: label, columns: booth's call)")
            out.append(" " * 14 + "".join(f"{p[:12]:>13}" for p in labels))
            for truth in labels:
                out.append(f"{truth[:12]:14}" + "".join(f"{self.confusion[(truth, p)]:13d}" for p in labels))
        out += [f"miss: {m}" for m in self.misses]
        counts = self.counts
        out.append(
            f"eval: eyes={counts['eyes_open'].accuracy():.3f} engaged={counts['engaged'].accuracy():.3f} "
            f"smile={counts['smile'].accuracy():.3f}"
        )
        return out


def load_labels(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text())
        items = data["items"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{path}: not a labels file ({err}); see tests/data/labels.json") from None
    return items


def _pick(faces: list[FaceReading], at: list[float] | None) -> FaceReading | None:
    if not faces:
        return None
    if at is None:
        return max(faces, key=lambda f: f.area)
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
) -> None:
    """Count the booth's calls on one labelled face against its labels (``results`` by ``id`` of face)."""
    face = _pick(faces, item.get("at"))
    # Every labelled face is a face; face=false marks frames that must have none.
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
        "smile": extract(face)["warm_smile"] >= SMILE_MIN,
    }
    for name, value in said.items():
        if name in item:
            report.counts[name].add(item[name], value)
            if item[name] != value:
                report.misses.append(f"{where}: {name} labelled {item[name]}, booth said {value}")
    if "look" in item:
        report.confusion[(item["look"], _called_look(result, thresholds))] += 1


def evaluate(items: list[dict], models: Models | None = None) -> Report:
    """Read each labelled media file once and count the booth's calls against the labels.

    Perception, thresholds and face size are the defaults (a booth without a config file), so the figures
    describe the booth as shipped.
    """
    params = VisionParams.from_settings(VisionSettings.model_validate({"max_faces": MAX_FACES}))
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
        scorer = looks.LookScorer(book, thresholds, policy.min_face_size, hold_seconds=hold)
        frames = {item["frame"] for item in wanted}
        for frame in iter_frames(path):
            faces = pipeline.analyze(frame.pixels, track=video)
            results = {id(f): scorer.score(f, frame.timestamp) for f in faces}
            if frame.index not in frames:
                continue
            for item in (i for i in wanted if i["frame"] == frame.index):
                where = f"{media}#{frame.index}" if video else media
                _judge(report, where, item, faces, results, thresholds)
    return report
