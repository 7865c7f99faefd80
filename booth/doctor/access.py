"""Who may read a file, from its mode bits and owners: the models check's view of booth.service's user.

Decided from the bits, not by opening the file: the doctor usually runs under sudo, and root may read any
file whatever its mode, while the booth runs as its own user (``User=booth``).
"""

from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from booth import assets

SERVICE_USER = "booth"  # booth.service's User=


@dataclass(frozen=True)
class Reader:
    """Who must be able to read the models: a user's name, uid and every group it is in."""

    name: str
    uid: int
    gids: frozenset[int]

    @classmethod
    def of(cls, user: str) -> Reader | None:
        """The account ``user`` as /etc/passwd and /etc/group have it; None when there is none."""
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            return None
        groups = {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
        return cls(user, entry.pw_uid, frozenset({entry.pw_gid, *groups}))

    @classmethod
    def current(cls) -> Reader:
        """Whoever runs this process."""
        return cls(assets.current_user(), os.geteuid(), frozenset({os.getegid(), *os.getgroups()}))


def service_reader(user: str = SERVICE_USER) -> Reader:
    """booth.service's user (``User=booth``) where it exists, else whoever runs the doctor (a dev PC)."""
    return Reader.of(user) or Reader.current()


def may(st: os.stat_result, reader: Reader, bit: int) -> bool:
    """Whether the mode bits grant ``reader`` the access ``bit`` (4 read, 1 enter a folder).

    The kernel's rule, not a sum of the three classes: the owner gets only the owner's bits, a member of the
    file's group only the group's, everyone else the others'. Root passes everything. ACLs are not consulted
    (the booth's files never have any).
    """
    if reader.uid == 0:
        return True
    if st.st_uid == reader.uid:
        return bool(st.st_mode & (bit << 6))
    if st.st_gid in reader.gids:
        return bool(st.st_mode & (bit << 3))
    return bool(st.st_mode & bit)


class AccessProblem(NamedTuple):
    """What keeps a user from a file: the cause, and the ``chmod`` grant on ``target`` that fixes it."""

    cause: str
    target: Path
    grant: str  # "a+rx" for a folder on the way, "a+r" for the file itself


def access_problem(path: Path, reader: Reader) -> AccessProblem | None:
    """Why ``reader`` cannot read ``path``, or None when it can.

    Decided from the mode bits and owners of the file and of every folder on the way, not by opening it:
    the doctor usually runs under sudo, and root may read any file whatever its mode, while the booth runs as
    its own user. A path that does not exist is no problem here; verifying reports it as missing.
    """
    try:
        st: os.stat_result | None = path.stat()
    except PermissionError:
        st = None  # a folder shuts out whoever runs the doctor; the loop names it if it shuts out reader too
    except OSError:
        return None
    for folder in reversed(path.parents):
        try:
            folder_st = folder.stat()
        except OSError:
            return None
        if not may(folder_st, reader, 1):
            why = (
                f"folder {folder} has {assets.owner_and_mode(folder)}, so user {reader.name} cannot enter it"
            )
            return AccessProblem(why, folder, "a+rx")
    if st is not None and not may(st, reader, 4):
        return AccessProblem(
            f"{assets.owner_and_mode(path)}, so user {reader.name} cannot read it", path, "a+r"
        )
    return None


def chmod_fix(problems: Sequence[AccessProblem]) -> str:
    """One ``sudo chmod`` per grant (folders first), each naming every target once."""
    commands = []
    for grant in ("a+rx", "a+r"):
        targets = dict.fromkeys(str(p.target) for p in problems if p.grant == grant)
        if targets:
            commands.append(f"sudo chmod {grant} {' '.join(targets)}")
    return "; ".join(commands)
