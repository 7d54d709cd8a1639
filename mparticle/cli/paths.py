"""Output paths of a send: defaults, the dry-run reject path, and the check that no output
is an input."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, List, Optional, Tuple

from mparticle.cli.errors import UsageError

if TYPE_CHECKING:
    from mparticle.cli.sources import InputFile

__all__ = ["PRIVATE_MODE", "default_path", "dry_run_path", "refuse_clobbering"]

#: Files that hold personal data (rejects, checkpoints) are created with this mode.
PRIVATE_MODE = 0o600


def default_path(inputs: List[str], suffix: str) -> str:
    """An output path next to the first input (``mparticle-stdin`` + suffix for stdin)."""
    first = inputs[0]
    return ("mparticle-stdin" if first == "-" else first) + suffix


def _identity(path: str) -> Optional[Tuple[int, int]]:
    """(st_dev, st_ino) of the file ``path`` names (following links), None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def refuse_clobbering(files: List[InputFile], outputs: List[Tuple[str, str]]) -> None:
    """UsageError when an output path (``(what, path)`` pairs) is an input file or another
    output: the same real path (symlinks, ``./`` and ``../`` resolved) or the same inode (a
    hard link). Nothing has been opened for writing yet when this runs."""
    taken = [(f"the input file {f.name}", os.path.realpath(f.name), f.identity) for f in files if f.name != "-"]
    for what, path in outputs:
        real, identity = os.path.realpath(path), _identity(path)
        for other, other_real, other_identity in taken:
            if real == other_real or (identity is not None and identity == other_identity):
                raise UsageError(f"the {what} {path} is {other}; refusing to overwrite it (choose another path)")
        taken.append((f"the {what} {path}", real, identity))


def dry_run_path(reject_path: str) -> str:
    """Where ``--dry-run`` writes its rejects: the real run's reject path marked ``.dry-run``."""
    if reject_path.endswith(".jsonl"):
        return reject_path[: -len(".jsonl")] + ".dry-run.jsonl"
    return reject_path + ".dry-run"
