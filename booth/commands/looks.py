"""``booth looks list|learn``: the looks the booth knows, and a new one taught by example.

``learn NAME --positive MEDIA[@FROM-TO]... --negative MEDIA[@FROM-TO]... --out FILE`` reads the largest face
of every named photo or video frame (ranges inclusive), takes its signals against the sitter's rest exactly
as the live scorer does (a ``--baseline`` span for footage of that file, else the population's rest), fits
a recipe with :func:`booth.looks.learn.learn`, and writes it into FILE as an ordinary ``[look.NAME]``
table, with a comment saying how and from what it was learned. Any other look in FILE stays as it was.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from booth import looks
from booth.atomic import write_atomic
from booth.commands.baseline import capture_baseline, span_argument
from booth.config import VisionSettings
from booth.errors import ConfigError
from booth.looks import recipe_text
from booth.looks.learn import LearnError, Provenance, check_name, comment, hints_by_signal, learn
from booth.media import MediaSpan, iter_frames
from booth.vision import FacePipeline, Models, VisionParams


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("looks", help="list the looks, or teach a new one by example")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every look with its title and scenario")
    listing.add_argument("--looks", type=Path, help="operator's looks file")
    listing.set_defaults(func=run_list)
    teach = actions.add_parser("learn", help="fit a look to example photos or video frames")
    teach.add_argument("name", metavar="NAME", help="the look's name (lower case, digits, _ or -)")
    spans = {
        "--positive": (
            "MEDIA[@FROM-TO]",
            True,
            "a photo, or a video's frames FROM-TO (inclusive), showing the look",
        ),
        "--negative": ("MEDIA[@FROM-TO]", True, "a photo or frames NOT showing it (rest, other looks)"),
        "--baseline": (
            "MEDIA@FROM-TO",
            False,
            "the sitter at rest in that file: its examples are read against it",
        ),
    }
    for flag, (metavar, required, text) in spans.items():
        teach.add_argument(
            flag,
            action="append",
            required=required,
            default=None if required else [],
            type=span_argument,
            metavar=metavar,
            help=f"{text}; repeat for more",
        )
    teach.add_argument("--out", type=Path, required=True, metavar="FILE", help="looks file to write into")
    teach.add_argument("--title", help="the title the kiosk shows (default: from NAME)")
    teach.add_argument("--scenario", default="", help="what the kiosk asks the sitter to imagine")
    teach.set_defaults(func=run_learn)


def run_list(args: argparse.Namespace) -> int:
    book = looks.load(args.looks)
    for name, recipe in book.looks.items():
        form = "learned" if recipe.bias is not None else "blend"
        print(f"{name:14} {recipe.title:16} ceiling {recipe.ceiling():.2f} ({form})  {recipe.scenario}")
    return 0


def _frames(pipeline: FacePipeline, span: MediaSpan) -> Iterator[tuple[int | None, object]]:
    """(frame index, largest face or None) of every frame in ``span``; tracking runs as on live video."""
    pipeline.reset()
    for frame in iter_frames(span.path):
        if frame.index is not None and span.last is not None and frame.index > span.last:
            break
        faces = pipeline.analyze(frame.pixels, track=frame.index is not None)
        if span.covers(frame.index):
            yield frame.index, (max(faces, key=lambda f: f.area) if faces else None)
    pipeline.reset()


def examples_of(
    pipeline: FacePipeline, spans: Sequence[MediaSpan], baselines: dict[Path, looks.Baseline]
) -> tuple[list[dict[str, float]], int]:
    """The signals of every frame with a face in ``spans``, in order, and how many frames had none."""
    examples, missed = [], 0
    for span in spans:
        baseline = baselines.get(span.path.resolve(), looks.Baseline({}))
        for _, face in _frames(pipeline, span):
            if face is None:
                missed += 1
            else:
                examples.append(baseline.signals_of(face))  # type: ignore[arg-type]
    return examples, missed


def _looks_text(path: Path) -> str:
    """The text of the looks file to write into ("" when new), or a one-line ConfigError: not a file,
    unreadable, not UTF-8, or not a looks file that loads (never write into a broken file)."""
    if path.exists() and not path.is_file():
        raise ConfigError(f"--out {path}: not a file; name a looks file, e.g. {path / 'looks.toml'}")
    if not path.exists():
        if not path.parent.is_dir():
            raise ConfigError(f"--out {path}: no folder {path.parent}; create it first")
        return ""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"--out {path}: cannot read it ({err.strerror}); fix its permissions") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--out {path}: not UTF-8 text; name a TOML looks file") from None
    if text:
        looks.recipes.parse(text, str(path))
    return text


def run_learn(args: argparse.Namespace) -> int:
    name = check_name(args.name)
    existing = _looks_text(args.out)  # before the models run: a bad --out fails at once
    params = VisionParams.from_settings(VisionSettings.model_validate({"max_faces": 4}))
    pipeline = FacePipeline(models=Models.load(params), params=params)
    baselines = {span.path.resolve(): capture_baseline(pipeline, span) for span in args.baseline}
    positives, missed_pos = examples_of(pipeline, args.positive, baselines)
    negatives, missed_neg = examples_of(pipeline, args.negative, baselines)
    shipped = looks.load()
    try:
        learned = learn(
            name,
            positives,
            negatives,
            title=args.title,
            scenario=args.scenario,
            hints=hints_by_signal(list(shipped.looks.values())),
        )
    except LearnError as err:
        print(f"learn: refused: {err}", file=sys.stderr)
        return 1
    source = Provenance(
        by=f"`booth looks learn {name}`",
        how="example photos and frames",
        positives=", ".join(str(s) for s in args.positive),
        negatives=", ".join(str(s) for s in args.negative),
        rest=", ".join(str(s) for s in args.baseline) or "the population's rest (no --baseline)",
        skipped=str(missed_pos + missed_neg),
    )
    table = recipe_text.render(learned.recipe, comment(learned, source))
    text = recipe_text.put_look(existing, name, table)
    looks.recipes.parse(text, str(args.out))  # what is written must load back
    write_atomic(args.out, text.encode(), mode=0o644)
    print(learned.summary())
    print(f"learn: wrote look {name!r} to {args.out}", file=sys.stderr)
    if name in shipped.looks:
        print(
            f"learn: {name!r} replaces the shipped look of that name wherever {args.out} is loaded",
            file=sys.stderr,
        )
    return 0
