"""The Python versions batchlint declares are the ones it is tested under: the lowest declared version is
in the classifiers and CI runs the suite under it; below 3.11 settings are read with tomli."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.helpers import run_cli


def _project() -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]  # type: ignore[no-any-return]


def _lowest() -> tuple[int, int]:
    found = re.fullmatch(r">=(\d+)\.(\d+)", str(_project()["requires-python"]))
    assert found, _project()["requires-python"]
    return int(found.group(1)), int(found.group(2))


def test_the_lowest_declared_python_is_classified_and_run_in_ci() -> None:
    major, minor = _lowest()
    classifiers = _project()["classifiers"]
    assert isinstance(classifiers, list)
    versions = sorted(
        tuple(int(p) for p in c.rsplit(" ", 1)[1].split(".")) for c in classifiers if re.fullmatch(r"Programming Language :: Python :: \d+\.\d+", c)
    )
    assert versions[0] == (major, minor), versions
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # .ci/run looks the interpreter up by name (on PATH or in pyenv's versions), makes a venv with it and runs pytest there.
    assert f"python{major}.{minor}" in ci and f"sys.version_info[:2] == ({major}, {minor})" in ci
    assert f"-m venv .venv{major}{minor}" in ci and "-m pytest" in ci.split(f"-m venv .venv{major}{minor}", 1)[1]


def test_tomli_is_a_dependency_exactly_where_tomllib_is_missing() -> None:
    _, minor = _lowest()
    dependencies = [d.replace('"', "'") for d in _project()["dependencies"]]  # type: ignore[attr-defined]
    if minor < 11:
        assert "tomli>=2; python_version < '3.11'" in dependencies, dependencies
    else:
        assert not any(d.startswith("tomli") for d in dependencies)


def test_a_settings_file_is_read_on_this_python(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text("data:\n  train_bs: 2\nsolver:\n  gradient_accumulation_steps: 1\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.batchlint]\nnum-processes = 4\ngpu = "A100-80GB"\n', encoding="utf-8")
    code, out, err = run_cli("inspect", "--format", "json", "train.yaml", cwd=tmp_path)
    assert (code, err) == (0, ""), err
    assert '"num_processes"' in out and '"source": "settings"' in out


def test_toml_is_parsed_by_one_helper_on_this_python() -> None:
    # settings, the TOML config reader and the baseline's settings all read through loading/toml.py's parse_toml
    from batchlint.loading.toml import TomlError, parse_toml

    assert parse_toml('[tool.batchlint]\nnum-processes = 4\nselect = ["BL1"]\n') == {"tool": {"batchlint": {"num-processes": 4, "select": ["BL1"]}}}
    try:
        parse_toml("a = 1\nb = \n")
    except TomlError as exc:
        assert (exc.syntax, exc.line) == (True, 2) and "at line" not in exc.message, exc.message
    else:
        raise AssertionError("a syntax error parsed")
    try:
        parse_toml("a = " + "9" * 5000 + "\n")
    except TomlError as exc:
        assert exc.syntax is False and exc.message, exc.message  # Python's 4,300-digit limit (where this Python has one)
    package = REPO / "batchlint"
    importers = sorted(
        str(p.relative_to(package)) for p in package.rglob("*.py") if re.search(r"^\s*import toml(lib|i)\b", p.read_text(encoding="utf-8"), re.M)
    )
    assert importers == ["loading/toml.py"], importers
