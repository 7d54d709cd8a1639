"""Static types: the examples users copy pass ``mypy --strict`` and pyright, and the mistakes
in test/typing/mistakes.py are reported, each on its own line.

The clean set is example_usage.py, test/typing/official_docs.py (mParticle's documented usage)
and the README's Python blocks (joined in order, as one module, without the blocks marked
``<!-- snippet: skip ... -->``). The type checkers run as processes, as a user's CI runs them;
pyright is skipped where it is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "test" / "typing"
MISTAKES = TYPING / "mistakes.py"
_BLOCK = re.compile(r"^(<!-- snippet: skip[^\n]*-->\n)?```python\n(.*?)^```", re.M | re.S)


def readme_module(directory: Path) -> Path:
    """The README's Python blocks as one module in ``directory``."""
    blocks = [m.group(2) for m in _BLOCK.finditer((ROOT / "README.md").read_text(encoding="utf-8")) if not m.group(1)]
    path = directory / "readme_snippets.py"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def expected_mistakes() -> Dict[int, str]:
    """Line number to the mypy error code its ``# error:`` comment names."""
    lines = MISTAKES.read_text(encoding="utf-8").splitlines()
    return {n: m.group(1) for n, line in enumerate(lines, 1) if (m := re.search(r"# error: ([\w-]+)$", line))}


@pytest.fixture(scope="module")
def clean_files(tmp_path_factory: pytest.TempPathFactory) -> List[Path]:
    return [ROOT / "example_usage.py", TYPING / "official_docs.py", readme_module(tmp_path_factory.mktemp("readme"))]


@pytest.fixture(scope="module")
def mypy_errors(clean_files: List[Path], tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Set[Tuple[int, str]]]:
    """mypy --strict over every file at once: file name to its (line, code) errors."""
    cache = tmp_path_factory.mktemp("mypy-cache")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes", "--cache-dir",
         str(cache), *map(str, clean_files), str(MISTAKES)],
        cwd=str(ROOT), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors: Dict[str, Set[Tuple[int, str]]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): error: .*\[([\w-]+)\]$", line)
        if match:
            errors.setdefault(Path(match.group(1)).name, set()).add((int(match.group(2)), match.group(3)))
        elif ": error:" in line:
            pytest.fail("unparsed mypy output: " + line)
    return errors


@pytest.mark.subprocess
def test_examples_pass_mypy_strict(clean_files: List[Path], mypy_errors: Dict[str, Set[Tuple[int, str]]]) -> None:
    for path in clean_files:
        assert mypy_errors.get(path.name, set()) == set(), path.name
    assert set(mypy_errors) <= {MISTAKES.name}, "errors inside the package: {0}".format(mypy_errors)


@pytest.mark.subprocess
def test_mypy_reports_each_mistake(mypy_errors: Dict[str, Set[Tuple[int, str]]]) -> None:
    expected = expected_mistakes()
    assert len(expected) >= 15
    reported = mypy_errors.get(MISTAKES.name, set())
    assert {line for line, _ in reported} == set(expected), sorted(reported)
    for line, code in expected.items():
        assert (line, code) in reported, (line, code, sorted(reported))


def pyright_command() -> str:
    pyright = shutil.which("pyright") or str(Path(sys.executable).with_name("pyright"))
    if not Path(pyright).exists():
        pytest.skip("pyright is not installed (pip install pyright)")
    return pyright


@pytest.mark.subprocess
def test_pyright_agrees(clean_files: List[Path]) -> None:
    pyright = pyright_command()
    result = subprocess.run(
        [pyright, "--outputjson", *map(str, clean_files), str(MISTAKES)],
        cwd=str(ROOT), capture_output=True, text=True, timeout=600,
    )
    report = json.loads(result.stdout)
    errors: Dict[str, Set[int]] = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            errors.setdefault(Path(diagnostic["file"]).name, set()).add(diagnostic["range"]["start"]["line"] + 1)
    for path in clean_files:
        assert errors.get(path.name, set()) == set(), (path.name, report["generalDiagnostics"])
    assert errors.get(MISTAKES.name, set()) == set(expected_mistakes())


@pytest.mark.subprocess
def test_every_public_symbol_has_a_known_type(tmp_path: Path) -> None:
    """``pyright --verifytypes``: the package's public surface, as a user's type checker sees
    it, has no symbol of unknown or ambiguous type (a type completeness of 100%)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # this checkout's package, as if installed
    result = subprocess.run(
        [pyright_command(), "--pythonpath", sys.executable, "--verifytypes", "mparticle", "--ignoreexternal",
         "--outputjson"],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600,
    )
    report = json.loads(result.stdout)["typeCompleteness"]
    assert Path(report["packageRootDirectory"]).resolve() == (ROOT / "mparticle").resolve()
    incomplete = [
        (symbol["name"], [d["message"].splitlines()[0] for d in symbol["diagnostics"] if d["severity"] == "error"])
        for symbol in report["symbols"]
        if not symbol["isTypeKnown"] or symbol["isTypeAmbiguous"]
    ]
    assert incomplete == []
    assert report["completenessScore"] == 1.0
    assert report["exportedSymbolCounts"]["withKnownType"] > 2000  # the whole package was read
