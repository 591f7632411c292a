"""The index of launch scripts: looking one config up parses only the scripts that could name it,
and gives the same launch as the whole index, for every config of the test cases and the corpora."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchlint.session import NAMING_FLAGS, ScriptIndex, Session, could_name
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


ROLES = (None, *NAMING_FLAGS)


def _naming(index: ScriptIndex, path: str, role: str | None) -> tuple[str, int, str | None] | None:
    launch = index.find_naming(path, role)
    return None if launch is None else (launch.script_path, launch.command.line, launch.called_from)


def _naming_same_everywhere(tree: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """find_naming scanning the scripts and through the index of naming words (from the LAZY_FINDS-th
    lookup on) give the same launch, for every file of the tree in every role."""
    monkeypatch.chdir(tree)
    found = 0
    for path in _configs(tree):
        scripts = Session().script_index(path)
        if not any(os.path.basename(path) in scripts.session.script_text(s) for s in scripts.scripts):
            continue  # no script names it: nothing either way
        for role in ROLES:
            scan = Session().script_index(path)
            indexed = Session().script_index(path)
            indexed.naming_finds = ScriptIndex.LAZY_FINDS  # the next lookup goes through the index
            answer = _naming(scan, path, role)
            assert answer == _naming(indexed, path, role), (path, role)
            assert indexed._naming_words is not None and scan._naming_words is None
            found += answer is not None
    return found


def test_cases_naming_lookup_through_the_index_is_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _naming_same_everywhere(CASES, monkeypatch) > 0


@pytest.mark.parametrize("tree", [CORPUS, CORPUS2], ids=["corpus", "corpus2"])
def test_corpora_naming_lookup_through_the_index_is_the_scan(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (tree / "manifest.json").is_file():
        pytest.skip(f"shared corpus not present at {tree}")
    assert _naming_same_everywhere(tree, monkeypatch) > 0


NAMING_SCRIPTS = {
    # From the working directory, from the script's own directory, climbing (compared, not expected: a
    # written `..` is never matched today), absolute, set at run time.
    "scripts/from_root.sh": "accelerate launch --config_file configs/acc_root.yaml train.py\n",
    "scripts/from_here.sh": "accelerate launch --config_file ../configs/acc_up.yaml train.py\n",
    "scripts/local.sh": "accelerate launch --config_file acc_local.yaml train.py\n",
    "scripts/variable.sh": 'accelerate launch --config_file "$CONFIG_DIR/acc_var.yaml" train.py\n',
    "scripts/deepspeed.sh": "deepspeed --hostfile configs/hosts train.py --deepspeed configs/ds.json\n",
    "scripts/twice_a.sh": "accelerate launch --config_file configs/acc_two.yaml a.py\n",
    "scripts/twice_b.sh": "accelerate launch --config_file configs/acc_two.yaml b.py\n",
    "scripts/outer.sh": "bash scripts/inner.sh\n",
    "scripts/inner.sh": "accelerate launch --config_file configs/acc_inner.yaml train.py\n",
}


def test_every_way_of_naming_a_launch_file_is_found_through_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "configs").mkdir()
    (tmp_path / "scripts").mkdir()
    for name in ("acc_root", "acc_up", "acc_var", "acc_two", "acc_inner"):
        (tmp_path / "configs" / f"{name}.yaml").write_text("distributed_type: MULTI_GPU\nnum_processes: 2\n", encoding="utf-8")
    (tmp_path / "scripts" / "acc_local.yaml").write_text("distributed_type: MULTI_GPU\nnum_processes: 2\n", encoding="utf-8")
    (tmp_path / "configs" / "ds.json").write_text('{"train_batch_size": 8}\n', encoding="utf-8")
    (tmp_path / "configs" / "hosts").write_text("a slots=8\n", encoding="utf-8")
    (tmp_path / "configs" / "absolute.yaml").write_text("distributed_type: MULTI_GPU\nnum_processes: 2\n", encoding="utf-8")
    scripts = {**NAMING_SCRIPTS, "scripts/absolute.sh": f"accelerate launch --config_file {tmp_path}/configs/absolute.yaml train.py\n"}
    for name, text in scripts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    expected = {
        "configs/acc_root.yaml": "from_root.sh",
        "scripts/acc_local.yaml": "local.sh",
        "configs/acc_var.yaml": "variable.sh",
        "configs/ds.json": "deepspeed.sh",
        "configs/hosts": "deepspeed.sh",
        "configs/absolute.yaml": "absolute.sh",
        "configs/acc_inner.yaml": "inner.sh",
        "configs/acc_two.yaml": None,  # two scripts name it: which run it belongs to is the user's choice
    }
    assert _naming_same_everywhere(tmp_path, monkeypatch) >= len(expected) - 1
    for path, script in expected.items():
        answer = _naming(Session().script_index(path), str(tmp_path / path), None)
        assert (None if answer is None else os.path.basename(answer[0])) == script, path
