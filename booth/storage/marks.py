"""The photographer's marks on kept photos: good or not good for the look each was shot for.

Why in storage beside the shot: a mark is a judgement of one stored photo, made on the operator's review
long after the session, and a refit of the look (:mod:`booth.service.teach`) reads the marked photos'
stored signals back as its examples. A mark write is one UPDATE on the writer thread like every write.
"""

from __future__ import annotations

from pathlib import Path

from booth.storage.reader import read_only
from booth.storage.records import ShotRecord
from booth.storage.writer import Writer


def mark_shot(writer: Writer, shot_id: int, good: bool | None) -> bool:
    """Set (or with None clear) the mark of ``shot_id``; False if there is no such shot."""
    with writer.transaction() as conn:
        cur = conn.execute(
            "UPDATE shots SET mark = ? WHERE id = ?", (None if good is None else int(good), shot_id)
        )
        return bool(cur.rowcount)


def marked(db_path: Path, look: str | None) -> list[ShotRecord]:
    """Intact marked shots (of ``look``, if given) in the order they were taken."""
    query = "SELECT * FROM shots WHERE mark IS NOT NULL AND status = 'ok'"
    args: tuple[str, ...] = ()
    if look is not None:
        query, args = query + " AND look = ?", (look,)
    with read_only(db_path, "reading the marked photos") as conn:
        rows = conn.execute(query + " ORDER BY taken_at, id", args).fetchall()
    return [ShotRecord.from_row(r) for r in rows]
