"""The operator page's "Teach a look": record takes, learn, preview live, then save, discard or undo.

Why a desk of its own beside the booth service: the flow has state of its own (the takes, the preview, the
last save), and every change it makes to what the booth scores must go through the service's one analysis
thread, so its actions are run there (``run``) like every other page request. The web thread only reads
:meth:`Teaching.status` (a lock around the preview and the last save; the recorder locks its takes).

* **Preview.** A learned look is scored live beside the booth's own looks, under the name
  ``NAME (preview)`` (:data:`~booth.service.teach.PREVIEW_SUFFIX`), so the operator page and the kiosk
  stream's ``status.face.looks`` show it on the sitter. It is laid over the booth's book
  (:meth:`Teaching.overlay`), never into it: no shot list can target it, and a settings change that
  reloads the looks keeps it.
* **Save** writes it into the operator's looks file (:mod:`booth.service.looks_file`); without one, into
  ``<data>/looks.toml``, named as ``looks.file`` through the normal settings change (so it persists, and,
  as for any new looks file, only while the booth is idle). Then the looks are reloaded the normal way.
* **Undo** restores the file as it was before the last save, exactly; **Discard** drops the preview and
  the takes.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from booth import looks
from booth.config import Settings
from booth.errors import BoothError
from booth.looks import LookBook, recipe_text
from booth.looks.learn import MIN_EXAMPLES, Learned, check_name, comment
from booth.looks.recipes import Gate
from booth.service import looks_file, teach
from booth.service.teach import PREVIEW_SUFFIX, Recorder, Source
from booth.shooting import Shooter
from booth.storage import Storage

log = logging.getLogger(__name__)

T = TypeVar("T")
#: The file a look is saved into when the settings name no looks file, under the data folder.
DEFAULT_LOOKS_FILE = "looks.toml"


class TeachHost(Protocol):
    """What the desk needs of the booth service (:class:`booth.service.BoothService`)."""

    settings: Settings
    data_dir: Path
    book: LookBook
    storage: Storage

    @property
    def shooter(self) -> Shooter | None:
        """The live shooter, once the models are loaded."""

    def show_book(self, book: LookBook) -> None:
        """Have the live scorer score ``book`` (analysis thread)."""

    def is_idle(self) -> bool:
        """No session is running (a new looks file may be named)."""

    def apply_settings(self, changes: Mapping[str, Any]) -> Settings:
        """A settings change the normal way, on the analysis thread already."""

    def reload_looks(self) -> None:
        """Load the looks the settings name again (the looks file changed)."""


@dataclass(frozen=True)
class Preview:
    """A learned look on trial: scored live as ``key``, not yet in any file."""

    learned: Learned
    source: Source
    replaces: str  # "", "the shipped look" or "your look"

    @property
    def name(self) -> str:
        return self.learned.recipe.name

    @property
    def key(self) -> str:
        return self.name + PREVIEW_SUFFIX

    def to_json(self) -> dict[str, Any]:
        recipe = self.learned.recipe
        return {
            "name": self.name,
            "key": self.key,
            "title": recipe.title,
            "from": self.source.how,
            "summary": self.learned.summary(),
            "cv_accuracy": round(self.learned.cv_accuracy, 3),
            "bias": recipe.bias,
            "terms": [
                {"signal": t.signal, "weight": t.weight, "low": t.low, "high": t.high} for t in recipe.terms
            ],
            "gates": [{"signal": g.signal, "min": g.min, "max": g.max} for g in recipe.gates],
            "replaces": self.replaces,
        }


class Teaching:
    """The teach-a-look flow of one booth; every change runs on its analysis thread through ``run``."""

    def __init__(
        self, host: TeachHost, run: Callable[[Callable[[], Any]], Any], clock: Callable[[], float]
    ) -> None:
        self._host, self._run, self._clock = host, run, clock
        self.recorder = Recorder()
        self._lock = threading.Lock()
        self._preview: Preview | None = None
        self._saved: looks_file.SavedLook | None = None
        self._named_file = False  # the last save named its file as looks.file (undo unsets it again)
        self._message = ""

    # --- read side (any thread) -----------------------------------------------------------------------

    def overlay(self, book: LookBook) -> LookBook:
        """``book`` with the preview look added under its preview name (``book`` itself without one)."""
        preview = self._preview
        if preview is None:
            return book
        return LookBook({**book.looks, preview.key: preview.learned.recipe}, book.dead_gaze)

    def status(self) -> dict[str, Any]:
        with self._lock:
            preview, saved, message = self._preview, self._saved, self._message
        file = self._host.settings.looks.file
        return {
            **self.recorder.to_json(self._clock()),
            "preview": preview.to_json() if preview else None,
            "undo": {"name": saved.name, "path": str(saved.path)} if saved else None,
            "message": message,
            "looks_file": str(file) if file else None,
            "min_examples": MIN_EXAMPLES,
        }

    def refit_offers(self) -> dict[str, dict[str, int]]:
        """Per look, the photographer's marks on kept photos (see :func:`booth.service.teach.mark_counts`)."""
        return teach.mark_counts(self._host.storage.marked())

    # --- actions (queued to the analysis thread) ------------------------------------------------------

    def record(self, kind: str, seconds: float = teach.DEFAULT_SECONDS) -> dict[str, Any]:
        def start() -> None:
            shooter_baseline = self._baseline()
            self.recorder.start(kind, seconds, self._clock(), shooter_baseline)
            self._say(f"Recording '{kind}' for {seconds:g} s.")

        return self._act(start)

    def learn(self, name: str) -> dict[str, Any]:
        """Fit ``name`` to the recorded takes and preview it."""
        check_name(name)

        def fit() -> None:
            if self.recorder.recording(self._clock()):
                raise BoothError("a take is still recording; learn once it ends")
            positives, negatives, source = teach.from_takes(self.recorder.takes(self._clock()))
            self._preview_fit(name, positives, negatives, source)

        return self._act(fit)

    def refit(self, look: str) -> dict[str, Any]:
        """Fit ``look`` again from the photographer's marks on its kept photos, and preview it."""
        check_name(look)

        def fit() -> None:
            positives, negatives, source = teach.from_marks(look, self._host.storage.marked(look))
            # Only photos the look fired on can be marked, so the "not good" side never shows a face
            # the look was far from; the look's own gates (the smile call for approachable) carry over.
            old = self._host.book.looks.get(look)
            self._preview_fit(look, positives, negatives, source, old.gates if old else ())

        return self._act(fit)

    def save(self) -> dict[str, Any]:
        return self._act(self._save)

    def discard(self) -> dict[str, Any]:
        def drop() -> None:
            had = self._preview is not None
            self._set_preview(None)
            self.recorder.clear()
            self._say("Preview and takes discarded." if had else "Takes discarded.")

        return self._act(drop)

    def undo(self) -> dict[str, Any]:
        return self._act(self._undo)

    # --- on the analysis thread -----------------------------------------------------------------------

    def _act(self, action: Callable[[], None]) -> dict[str, Any]:
        self._run(action)
        return self.status()

    def _say(self, message: str) -> None:
        with self._lock:
            self._message = message
        log.info("teach a look: %s", message)

    def _baseline(self) -> looks.Baseline:
        shooter = self._host.shooter
        if shooter is None:
            raise BoothError("the booth is still starting; try again in a moment")
        return shooter.baseline

    def _set_preview(self, preview: Preview | None) -> None:
        with self._lock:
            self._preview = preview
        self._host.show_book(self.overlay(self._host.book))

    def _preview_fit(
        self,
        name: str,
        positives: list,
        negatives: list,
        source: Source,
        keep_gates: tuple[Gate, ...] = (),
    ) -> None:
        learned = teach.fit(name, positives, negatives)
        if keep_gates:
            own = {(g.signal, g.min, g.max) for g in learned.recipe.gates}
            extra = tuple(g for g in keep_gates if (g.signal, g.min, g.max) not in own)
            recipe = dataclasses.replace(learned.recipe, gates=learned.recipe.gates + extra)
            learned = dataclasses.replace(learned, recipe=recipe)
        shipped = looks.load().looks.get(name)
        mine = self._host.book.looks.get(name)
        replaces = "" if mine is None else "the shipped look" if mine == shipped else "your look"
        self._set_preview(Preview(learned, source, replaces))
        note = f" Saving it replaces {replaces} {name!r}." if replaces else ""
        self._say(f"{learned.summary()}. Previewing {name!r} live.{note}")

    def _save(self) -> None:
        preview = self._preview
        if preview is None:
            raise BoothError("nothing to save: learn a look first")
        host = self._host
        configured = host.settings.looks.file
        if not host.is_idle():  # a running shot list must not have its looks changed under it
            raise BoothError("looks can change only between sessions; save once the booth is idle")
        path = Path(configured) if configured is not None else host.data_dir / DEFAULT_LOOKS_FILE
        table = recipe_text.render(preview.learned.recipe, comment(preview.learned, preview.source))
        saved = looks_file.put(path, preview.name, table)
        self._set_preview(None)
        try:
            if configured is None:
                host.apply_settings({"looks": {"file": str(path)}})
            else:
                host.reload_looks()
        except Exception:
            looks_file.restore_after_failure(saved)
            self._set_preview(preview)
            raise
        with self._lock:
            self._saved, self._named_file = saved, configured is None
        self._say(f"Saved {preview.name!r} to {path}. Undo restores the file as it was.")

    def _undo(self) -> None:
        saved = self._saved
        if saved is None:
            raise BoothError("nothing to undo: no look was saved here since the booth started")
        if not self._host.is_idle():
            raise BoothError("looks can change only between sessions; undo once the booth is idle")
        looks_file.revert(saved)
        with self._lock:
            self._saved, named = None, self._named_file
        configured = self._host.settings.looks.file
        if named and configured is not None and Path(configured) == saved.path:
            # The save named the file: undo takes that setting back out of <data>/booth.toml too.
            self._host.apply_settings({"looks": {"file": None}})
        elif configured is not None and Path(configured) == saved.path:
            self._host.reload_looks()
        self._say(f"Undone: {saved.path} is as it was before {saved.name!r} was saved.")
