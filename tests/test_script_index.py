"""The index of launch scripts: looking one config up parses only the scripts that could name it,
and gives the same launch as the whole index, for every config of the test cases and the corpora."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from batchlint import session as session_module
from batchlint.session import NAMING_FLAGS, ScriptIndex, Session, could_name
from tests.conftest import CORPUS, CORPUS2, REPO
from tests.test_fuzz_hostile import time_limit

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
    # From the working directory, from the script's own directory, climbing (`..` from where the script
    # runs: its directory when it starts with `cd "$(dirname "$0")"`), absolute, set at run time.
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
        "configs/acc_up.yaml": "from_here.sh",
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


def _walked(root: str) -> list[str]:
    """The scripts of a project as `os.walk` lists them (the index's listing before it read directories
    itself): top-down, sorted, SKIP_DIRS and hidden directories left out, MAX_SCRIPTS at most, fenced."""
    scripts: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in session_module.SKIP_DIRS and not d.startswith("."))
        scripts.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(session_module.SCRIPT_SUFFIXES))
        if len(scripts) >= session_module.MAX_SCRIPTS:
            break
    del scripts[session_module.MAX_SCRIPTS :]
    return Session().fence_for(os.path.join(root, "_")).allowed(scripts)


def _listing_tree(tmp_path: Path) -> Path:
    """Every kind of entry the listing sorts out: scripts at several depths, directories skipped, hidden
    or symlinked, a directory and a FIFO named like scripts, symlinked scripts inside and outside."""
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    for folder in ("a/b/c", "a/z", "b", ".hidden", "node_modules", "build", "x.sh", "Z"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    outside.mkdir()
    (outside / "far.sh").write_text("python train.py --config far.yaml\n", encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    for name in ("run.sh", "b.slurm", "a/one.bash", "a/b/two.sbatch", "a/b/c/three.sh", "a/z/four.sh", "b/five.sh", "Z/six.sh", ".top.sh", "x.sh/inside.sh"):
        (root / name).write_text("python train.py --config c.yaml\n", encoding="utf-8")
    for name in (".hidden/no.sh", "node_modules/no.sh", "build/no.sh", "a/notes.txt", "a/config.yaml"):
        (root / name).write_text("python train.py --config c.yaml\n", encoding="utf-8")
    (root / "a" / "linked_in.sh").symlink_to(root / "run.sh")
    (root / "a" / "linked_out.sh").symlink_to(outside / "far.sh")
    (root / "a" / "dangling.sh").symlink_to(root / "gone.sh")
    (root / "linked_dir").symlink_to(root / "a")  # not walked into (os.walk does not follow it)
    (root / "dir_link.sh").symlink_to(root / "b")  # a symlink to a directory: neither walked nor a script
    os.mkfifo(root / "a" / "pipe.sh")
    return root


def test_listing_is_the_walk(tmp_path: Path) -> None:
    root = _listing_tree(tmp_path)
    listed = ScriptIndex(Session(), str(root)).scripts
    assert listed == _walked(str(root))
    names = [os.path.relpath(p, root) for p in listed]
    assert "a/linked_in.sh" in names and "a/pipe.sh" in names and "x.sh/inside.sh" in names and ".top.sh" in names
    assert "a/linked_out.sh" not in names and "x.sh" not in names and "dir_link.sh" not in names
    assert not any(n.startswith(("linked_dir", ".hidden", "node_modules", "build")) for n in names)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8])
def test_listing_stops_where_the_walk_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    root = _listing_tree(tmp_path)
    monkeypatch.setattr(session_module, "MAX_SCRIPTS", limit)
    listed = ScriptIndex(Session(), str(root)).scripts
    assert listed == _walked(str(root)) and len(listed) <= limit


def test_listing_of_a_fifo_script_never_blocks(tmp_path: Path) -> None:
    root = _listing_tree(tmp_path)
    session = Session()
    started = time.monotonic()
    with time_limit(5):  # a hang fails the test (CaseHung is no OSError the reader could take for an unreadable file)
        assert session.find_launch(str(root / "c.yaml")) is None  # reads every script the listing holds, the FIFO too
    assert time.monotonic() - started < 4
    assert session.script_text(str(root / "a" / "pipe.sh")) == ""


@pytest.mark.parametrize("tree", [CASES, CORPUS, CORPUS2], ids=["cases", "corpus", "corpus2"])
def test_listing_of_every_project_is_the_walk(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if tree != CASES and not (tree / "manifest.json").is_file():
        pytest.skip(f"shared corpus not present at {tree}")
    monkeypatch.chdir(tree)
    roots = {Session().project_root(config) for config in _configs(tree)}
    assert roots
    for root in sorted(roots):
        assert ScriptIndex(Session(), root).scripts == _walked(root), root
