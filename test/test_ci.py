"""The CI script runs what README.md promises: its test command verbatim, the oldest
dependency pins that pyproject.toml declares, and a clear skip where an interpreter is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from packaging.version import Version  # pytest's own dependency

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci" / "run"
README = ROOT / "README.md"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9 and 3.10
    tomllib = None


def sh_blocks(text: str) -> List[str]:
    """The contents of the ```sh blocks of a markdown text."""
    return [m.group(1).strip() for m in re.finditer(r"^```(?:sh|bash|console)\n(.*?)^```", text, re.M | re.S)]


def readme_test_command() -> str:
    """The README's command that installs the test tools and runs the suite."""
    commands = [line for block in sh_blocks(README.read_text("utf-8")) for line in block.splitlines()]
    found = [c for c in commands if "test-requirements.txt" in c and "pytest" in c]
    assert len(found) == 1, found
    return found[0]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    command = readme_test_command()
    lines = [line.strip() for line in CI.read_text("utf-8").splitlines()]
    assert command in lines  # a whole line of the script, not a comment or a part of one


def test_readme_commands_use_fresh_directories() -> None:
    """No fixed path that an earlier run (or another user) may have left behind."""
    for block in sh_blocks(README.read_text("utf-8")):
        for line in block.splitlines():
            if "venv" in line:
                assert "/tmp/" not in line and "mktemp -d" in line, line


def test_oldest_constraints_are_the_declared_lower_bounds() -> None:
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    lower = {}
    for requirement in declared:
        name, bound = re.match(r"([A-Za-z0-9_.-]+)\s*(?:>=\s*([^,;\s]+))?", requirement).groups()  # type: ignore[union-attr]
        lower[name.lower()] = bound
    pins = dict(
        line.split("==")
        for line in (ROOT / "test" / "constraints-oldest.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert set(pins) == set(lower)
    for name, bound in lower.items():
        if bound is not None:
            assert Version(pins[name]) == Version(bound), name  # 1.26 is 1.26.0


def test_the_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(CI)], check=True, timeout=30)


@pytest.mark.subprocess
def test_a_missing_interpreter_skips_its_stage_with_a_clear_line() -> None:
    env = dict(
        os.environ,
        CI_STAGES="oldest newest",
        CI_OLDEST_PYTHON="no-such-python3.9",
        CI_NEWEST_PYTHON=str(ROOT / "no-such-python3.13"),
    )
    result = subprocess.run(["bash", str(CI)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = result.stdout.decode()
    assert result.returncode == 0, out
    assert "== .ci/run: oldest: skipped: no-such-python3.9 is not installed here" in out
    assert f"== .ci/run: newest: skipped: {ROOT / 'no-such-python3.13'} is not installed here" in out
    assert out.rstrip().endswith("== .ci/run: done")


@pytest.mark.subprocess
def test_without_node_the_differential_stage_says_it_is_skipped(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # bash and the few tools the script calls, but no node or npm
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "ls", "sort", "printf"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = dict(os.environ, CI_STAGES="differential", PATH=str(bin_dir))
    result = subprocess.run(
        [str(bin_dir / "bash"), str(CI)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60
    )
    out = result.stdout.decode()
    assert result.returncode == 0, out
    assert "== .ci/run: differential: skipped: node or npm is not installed here" in out
