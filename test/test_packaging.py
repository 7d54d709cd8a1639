"""The sdist and the wheel, built with ``python -m build`` from a copy of the checkout and inspected.

What a user gets from ``pip install mparticle`` (the wheel: every module, py.typed, the console
script, complete metadata without deprecated license classifiers) and what a packager gets from
the sdist (everything needed to run the test suite: tests with their conftest and helpers,
tox.ini, docs, requirement files), without build leftovers even when the tree has some.

The build runs without isolation (fast, no package index needed) when this environment has
what pyproject.toml's [build-system] requires (test-requirements.txt installs it), isolated
otherwise. Running the whole suite from the unpacked sdist takes minutes: .ci/run does that;
here a few modules run from it, enough to show the tests find their conftest, helpers, data
and configuration there.
"""
from __future__ import annotations

import configparser
import email.parser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest

from mparticle.version import __version__

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parent.parent
NAME = "mparticle-%s" % __version__

#: Directories never copied from the checkout into the build tree (caches, VCS, environments).
NOT_COPIED = (".git", ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".hypothesis",
              ".pytest_cache", "build", "dist", "*.egg-info", "__pycache__", "*.py[cod]", ".coverage*")

#: Leftovers planted in the build tree: none may reach the sdist or the wheel.
JUNK = (
    ".git/HEAD",
    ".coverage",
    "test/.coverage.host.123.456",
    "mparticle/__pycache__/version.cpython-311.pyc",
    "mparticle/models/__pycache__/batch.cpython-39.pyc",
    "test/__pycache__/conftest.cpython-311-pytest-8.0.0.pyc",
    "docs/__pycache__/generate_models.cpython-311.pyc",
    "benchmarks/__pycache__/common.cpython-311.pyc",
    "test/.hypothesis/examples/0/1",
    ".hypothesis/examples/0/1",
    ".mypy_cache/3.11/mparticle.data.json",
    ".ruff_cache/CACHEDIR.TAG",
    "dist/mparticle-0.0.0.tar.gz",
    "build/lib/leftover.txt",
    ".venv/bin/python",
    "stale.egg-info/PKG-INFO",
)

#: What the sdist must carry besides the package and the whole of test/, docs/ and benchmarks/.
SDIST_FILES = (
    "PKG-INFO",
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "example_usage.py",
    "tox.ini",
    "requirements.txt",
    "test-requirements.txt",
    ".ci/run",
    "test/conftest.py",
    "test/http_helpers.py",
    "test/validation_data.py",
    "test/constraints-oldest.txt",
    "docs/generate_models.py",
)

#: What setuptools itself writes into an sdist (the egg-info is the sdist's build metadata).
SETUPTOOLS_FILES = {"setup.cfg"} | {
    "mparticle.egg-info/%s" % name
    for name in ("PKG-INFO", "SOURCES.txt", "dependency_links.txt", "entry_points.txt", "requires.txt",
                 "top_level.txt")
}

#: Modules run from the unpacked sdist: docs and their generator, the conftest's endpoint, a
#: helper module, the configuration (tox.ini markers) and the CI script checks.
SDIST_TESTS = ("test/test_docs.py", "test/test_events_api.py", "test/test_validation_api.py")

URLS = {
    "Homepage": "https://github.com/mParticle/mparticle-python-sdk",
    "Documentation": "https://github.com/mParticle/mparticle-python-sdk/blob/HEAD/README.md",
    "Source": "https://github.com/mParticle/mparticle-python-sdk",
    "Changelog": "https://github.com/mParticle/mparticle-python-sdk/blob/HEAD/CHANGELOG.md",
    "Issues": "https://github.com/mParticle/mparticle-python-sdk/issues",
}
DEPENDENCIES = {"urllib3>=1.26", "certifi", "python-dateutil>=2.5.3", "six>=1.10"}


@dataclass
class Built:
    tree: Path  # the copy of the checkout the distributions were built from
    sdist: Path
    wheel: Path
    sdist_names: Set[str]  # member paths below the sdist's top directory (files only)
    wheel_names: Set[str]


def _build_requirements_met() -> bool:
    """Whether this environment has pyproject.toml's build requirements (then --no-isolation)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        from packaging.requirements import Requirement

        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib  # build depends on it before 3.11
    except ImportError:
        return False
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for text in requires:
        requirement = Requirement(text)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            return False
        if not requirement.specifier.contains(installed, prereleases=True):
            return False
    return True


def _top_level_markdown(tree: Path) -> Tuple[str, ...]:
    return tuple(sorted(path.name for path in tree.glob("*.md")))


def _source_files(tree: Path, top: str) -> Iterator[str]:
    for path in sorted((tree / top).rglob("*")):
        if path.is_file():
            yield path.relative_to(tree).as_posix()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    work = tmp_path_factory.mktemp("packaging")
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*NOT_COPIED))
    for name in JUNK:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(b"junk\n")
    out = work / "dist"
    # No --sdist/--wheel: build makes the sdist, then the wheel from the unpacked sdist, so
    # the wheel shows the sdist is complete enough to build what pip installs.
    command = [sys.executable, "-m", "build", "--outdir", str(out), str(tree)]
    if _build_requirements_met():
        command.insert(3, "--no-isolation")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(command, cwd=str(work), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=240)
    log = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, "%s failed:\n%s" % (" ".join(command), log[-6000:])
    sdists = sorted(out.glob("*.tar.gz"))
    wheels = sorted(out.glob("*.whl"))
    assert [p.name for p in sdists] == ["%s.tar.gz" % NAME], log[-3000:]
    assert [p.name for p in wheels] == ["%s-py3-none-any.whl" % NAME], log[-3000:]
    with tarfile.open(str(sdists[0])) as archive:
        members = archive.getmembers()
    assert all(m.name == NAME or m.name.startswith(NAME + "/") for m in members)
    sdist_names = {m.name[len(NAME) + 1:] for m in members if m.isfile()}
    with zipfile.ZipFile(str(wheels[0])) as archive:
        wheel_names = set(archive.namelist())
    return Built(tree, sdists[0], wheels[0], sdist_names, wheel_names)


def _junk(names: Set[str]) -> List[str]:
    pattern = re.compile(
        r"(^|/)(__pycache__|\.git|\.hypothesis|\.mypy_cache|\.ruff_cache|\.pytest_cache|\.venv|\.tox|build|dist)/"
        r"|\.py[cod]$|(^|/)\.coverage"
    )
    return sorted(name for name in names if pattern.search(name))


def _metadata(text: str) -> Message:
    return email.parser.Parser().parsestr(text)


def test_the_sdist_has_what_the_tests_need(built: Built) -> None:
    missing = [name for name in SDIST_FILES + _top_level_markdown(built.tree) if name not in built.sdist_names]
    assert not missing, missing
    for top in ("mparticle", "test", "docs", "benchmarks"):
        files = set(_source_files(built.tree, top))
        expected = files - set(_junk(files))
        assert expected, top
        missing = sorted(expected - built.sdist_names)
        assert not missing, "%s/ files missing from the sdist: %s" % (top, missing)
    assert any(name.endswith(".md") for name in built.sdist_names if name.startswith("docs/"))


def test_the_sdist_has_no_leftovers(built: Built) -> None:
    assert not _junk(built.sdist_names)
    egg_info = {name for name in built.sdist_names if ".egg-info/" in name}
    assert egg_info <= SETUPTOOLS_FILES, sorted(egg_info - SETUPTOOLS_FILES)
    top_level = {name.split("/")[0] for name in built.sdist_names}
    allowed = {"mparticle", "test", "docs", "benchmarks", ".ci", "mparticle.egg-info"} | {
        name for name in SDIST_FILES + tuple(SETUPTOOLS_FILES) + _top_level_markdown(built.tree) if "/" not in name
    }
    assert top_level <= allowed, sorted(top_level - allowed)


def test_the_wheel_has_every_module_and_nothing_else(built: Built) -> None:
    package = {name for name in _source_files(built.tree, "mparticle") if name.endswith((".py", ".pyi", "py.typed"))}
    assert "mparticle/py.typed" in package and "mparticle/__init__.py" in package
    missing = sorted(package - built.wheel_names)
    assert not missing, missing
    dist_info = "%s.dist-info/" % NAME
    others = sorted(name for name in built.wheel_names if not name.startswith(("mparticle/", dist_info)))
    assert not others, others  # no test/, docs/, benchmarks/, example_usage.py
    assert not _junk(built.wheel_names)
    assert sorted(set(n for n in built.wheel_names if n.startswith("mparticle/")) - package) == []
    assert dist_info + "licenses/LICENSE" in built.wheel_names


def test_the_wheel_metadata_is_complete(built: Built) -> None:
    with zipfile.ZipFile(str(built.wheel)) as archive:
        metadata = _metadata(archive.read("%s.dist-info/METADATA" % NAME).decode("utf-8"))
        entry_points = archive.read("%s.dist-info/entry_points.txt" % NAME).decode("utf-8")
    assert metadata["Name"] == "mparticle" and metadata["Version"] == __version__
    assert tuple(int(part) for part in metadata["Metadata-Version"].split(".")) >= (2, 4)
    assert metadata["Summary"] and metadata["Keywords"] and (metadata["Author"] or metadata["Author-email"])
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["License"] is None  # the expression, not the legacy free-text field
    assert metadata["Requires-Python"] == ">=3.9"
    requires = set(metadata.get_all("Requires-Dist") or [])
    assert {r for r in requires if "extra ==" not in r} == DEPENDENCIES
    assert metadata.get_all("Provides-Extra") == ["dataplan"]
    extra = {r.split(";")[0].strip() for r in requires if 'extra == "dataplan"' in r}
    assert extra == {"jsonschema-rs>=0.61", "jsonschema>=4.18", "orjson>=3.9"}
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL") or [])
    assert urls == URLS
    classifiers = metadata.get_all("Classifier") or []
    assert not [c for c in classifiers if c.startswith("License ::")]  # deprecated by PEP 639
    for prefix in ("Development Status ::", "Intended Audience ::", "Topic ::"):
        assert any(c.startswith(prefix) for c in classifiers), prefix
    for classifier in ["Typing :: Typed", "Operating System :: OS Independent"] + [
        "Programming Language :: Python :: 3.%d" % minor for minor in range(9, 14)
    ]:
        assert classifier in classifiers
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "Two commands for a fresh machine" in metadata.get_payload()  # README.md
    scripts = configparser.ConfigParser()
    scripts.read_string(entry_points)
    assert dict(scripts["console_scripts"]) == {"mparticle": "mparticle.cli:main"}


def test_the_sdist_metadata_matches_the_wheel(built: Built) -> None:
    with tarfile.open(str(built.sdist)) as archive:
        handle = archive.extractfile("%s/PKG-INFO" % NAME)
        assert handle is not None
        sdist = _metadata(handle.read().decode("utf-8"))
    with zipfile.ZipFile(str(built.wheel)) as archive:
        wheel = _metadata(archive.read("%s.dist-info/METADATA" % NAME).decode("utf-8"))
    for field in ("Name", "Version", "Summary", "License-Expression", "Requires-Python"):
        assert sdist[field] == wheel[field], field
    for field in ("Requires-Dist", "Project-URL", "Classifier"):
        assert sdist.get_all(field) == wheel.get_all(field), field


def test_tests_run_from_the_unpacked_sdist(built: Built, tmp_path: Path) -> None:
    with tarfile.open(str(built.sdist)) as archive:
        archive.extractall(str(tmp_path))
    unpacked = tmp_path / NAME
    env = dict(os.environ, PYTHONPATH=str(unpacked), PYTHONDONTWRITEBYTECODE="1")
    env.pop("COVERAGE_PROCESS_START", None)
    where = subprocess.run([sys.executable, "-c", "import mparticle; print(mparticle.__file__)"], cwd=str(unpacked),
                           env=env, stdout=subprocess.PIPE, check=True, timeout=60)
    assert Path(where.stdout.decode().strip()).resolve().is_relative_to(unpacked.resolve())  # not the checkout's
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *SDIST_TESTS],
                            cwd=str(unpacked), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240)
    log = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, log[-6000:]
    assert "rootdir: %s" % unpacked.resolve() in log or "rootdir: %s" % unpacked in log, log[:2000]
    assert "configfile: tox.ini" in log, log[:2000]  # markers, timeout: the suite's configuration
    assert re.search(r"\b\d+ passed\b", log), log[-2000:]
