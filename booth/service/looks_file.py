"""One look written into the operator's looks file, and the undo of that write.

Why its own step: the operator's file may hold their hand-written looks and comments, so a learned look goes
in through :func:`booth.looks.recipe_text.put_look` (every other line kept), the result must parse before
it is written, and it is written atomically (mode 0644: the service and ``booth looks list`` both read it).
The bytes from before are kept so an undo restores them exactly; an undo of a file that did not exist
removes the look again. An undo is refused if the file changed since the save (an editor, another save):
restoring old bytes over someone's edit would lose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from booth.atomic import write_atomic
from booth.errors import BoothError, ConfigError
from booth.looks import recipe_text, recipes


@dataclass(frozen=True)
class SavedLook:
    """What a save did: the file, the look, the bytes before (None: no file) and the bytes written."""

    path: Path
    name: str
    before: bytes | None
    after: bytes


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot read the looks file ({err.strerror}); fix its permissions"
        ) from None


def put(path: Path, name: str, table: str) -> SavedLook:
    """Write look ``name``'s ``table`` into ``path`` (replacing that look or appending it)."""
    before = _read(path)
    text = before.decode() if before is not None else ""
    if text:
        recipes.parse(text, str(path))  # never write into a file that does not load: fix it first
    new = recipe_text.put_look(text, name, table)
    recipes.parse(new, str(path))  # what is written must load back
    data = new.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, mode=0o644)
    return SavedLook(path, name, before, data)


def revert(saved: SavedLook) -> None:
    """Undo ``saved``: the bytes from before, exactly, or (no file before) the file without the look."""
    now = _read(saved.path)
    if now is None or now != saved.after:
        raise BoothError(f"{saved.path} changed since the save; undo refused (edit the file by hand)")
    if saved.before is not None:
        write_atomic(saved.path, saved.before, mode=0o644)
    else:
        write_atomic(saved.path, recipe_text.drop_look(now.decode(), saved.name).encode(), mode=0o644)


def restore_after_failure(saved: SavedLook) -> None:
    """Put the file back as it was before ``saved`` when what followed the write failed."""
    if saved.before is not None:
        write_atomic(saved.path, saved.before, mode=0o644)
    else:
        saved.path.unlink(missing_ok=True)
