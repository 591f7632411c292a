"""The index of launch scripts: looking one config up parses only the scripts that could name it,
and gives the same launch as the whole index, for every config of the test cases and the corpora."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchlint.session import ScriptIndex, Session, could_name
from tests.conftest import CORPUS, CORPUS2, REPO

CASES = REPO / "tests" / "cases"
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".jsonc", ".toml", ".py")


def _configs(tree: Path) -> list[str]:
    return sorted(str(p) for p in tree.rglob("*") if p.is_file() and p.suffix in CONFIG_SUFFIXES and ".git" not in p.parts)


def _where(index: ScriptIndex, config: str) -> tuple[str, int, str | None] | None:
    launch = index.find(config)
    return None if launch is None else (launch.script_path, launch.command.line, launch.called_from)


def _both(config: str) -> tuple[tuple[str, int, str | None] | None, tuple[str, int, str | None] | None, ScriptIndex]:
    lazy = Session().script_index(config)
    whole = Session().script_index(config)
    whole.by_config  # noqa: B018 - reading it builds the whole index
    return _where(lazy, config), _where(whole, config), lazy


def _same_everywhere(tree: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(tree)  # scripts' paths resolve from the working directory too
    found = 0
    for config in _configs(tree):
        lazy, whole, _ = _both(config)
        assert lazy == whole, config
        found += whole is not None
    return found


def test_cases_lazy_lookup_is_the_whole_index(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _same_everywhere(CASES, monkeypatch) > 0


@pytest.mark.parametrize("tree", [CORPUS, CORPUS2], ids=["corpus", "corpus2"])
def test_corpora_lazy_lookup_is_the_whole_index(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (tree / "manifest.json").is_file():
        pytest.skip(f"shared corpus not present at {tree}")
    assert _same_everywhere(tree, monkeypatch) > 0


SCRIPTS = {
    # Spelt out, quoted, split by quotes and escapes, continued over a line.
    "plain.sh": "accelerate launch train.py --config configs/plain.yaml\n",
    "quoted.sh": "python train.py --config 'configs/quo''ted.yaml'\n",
    "escaped.sh": "python train.py --config configs/esc\\aped.yaml\n",
    "continued.sh": "python train.py --config configs/conti\\\nnued.yaml\n",
    # Built by variables, or a Hydra name without its extension.
    "composed.sh": 'NAME=compo\nSUFFIX=sed\npython train.py --config "configs/${NAME}${SUFFIX}.yaml"\n',
    "hydra.sh": "python train.py --config-path configs --config-name hydra\n",
    "pattern.sh": "python train.py --config configs/$STAGE.yaml\n",
    # Run by another script: the caller's reading of it (its arguments known) is the launch.
    "inner.sh": "python train.py --config configs/inner_target.yaml\n",
    "outer.sh": "cd ..\nbash inner.sh\n",
    # Scripts naming nothing here.
    **{f"other_{i}.sh": f"accelerate launch train.py --config configs/unrelated_{i}.yaml\n" for i in range(8)},
}
NAMES = ["plain", "quoted", "escaped", "continued", "composed", "hydra", "pattern_only", "inner_target"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "configs").mkdir()
    for name in NAMES + [f"unrelated_{i}" for i in range(8)]:
        (tmp_path / "configs" / f"{name}.yaml").write_text("train:\n  train_batch_size: 1\n", encoding="utf-8")
    for name, text in SCRIPTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", NAMES)
def test_every_way_of_naming_a_config_is_found_lazily(project: Path, name: str) -> None:
    config = str(project / "configs" / f"{name}.yaml")
    lazy, whole, _ = _both(config)
    assert lazy == whole
    expected = {"pattern_only": "pattern.sh", "inner_target": "inner.sh"}.get(name, f"{name}.sh")
    assert whole is not None and os.path.basename(whole[0]) == expected
    if name == "inner_target":
        assert whole[2] is not None and os.path.basename(whole[2]) == "outer.sh"


def test_one_lookup_parses_only_the_scripts_that_could_name_the_config(project: Path) -> None:
    config = str(project / "configs" / "plain.yaml")
    session = Session()
    assert session.find_launch(config) is not None
    parsed = sorted(os.path.basename(p) for p in session.parsed_scripts)
    assert parsed == ["composed.sh", "outer.sh", "pattern.sh", "plain.sh"]  # those with a `$` or running a script, and the one spelling it


def test_many_lookups_build_the_whole_index_once(project: Path) -> None:
    session = Session()
    for i in range(ScriptIndex.LAZY_FINDS + 1):
        session.find_launch(str(project / "configs" / f"unrelated_{i}.yaml"))
    assert len(session.parsed_scripts) == len(SCRIPTS)


@pytest.mark.parametrize(
    ("text", "config", "expected"),
    [
        ("python t.py --config a/b.yaml\n", "/p/a/b.yaml", True),
        ("python t.py --config a/c.yaml\n", "/p/a/b.yaml", False),
        ("python t.py --config a/'b'.yaml\n", "/p/a/b.yaml", True),
        ("python t.py --config $X\n", "/p/a/b.yaml", True),
        ("python t.py --config-name b\n", "/p/a/b.yaml", True),
        ("python t.py --config a/c.yaml\n", "/p/a/it's.yaml", True),  # a quote in the name: always read
    ],
)
def test_could_name(text: str, config: str, expected: bool) -> None:
    assert could_name(text, config) is expected
