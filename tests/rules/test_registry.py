"""The registry's static table (rules/__init__.py) and the rule modules a run imports.

The table repeats, for every rule, what its class declares (code, name, aliases, module, kind,
`needs`), so that a run chooses its rules without importing them: it must agree with the classes,
a rule must report nothing on a run that does not meet its needs, and a run without DeepSpeed input
must import no DeepSpeed rule module.
"""

from __future__ import annotations

import importlib
import inspect
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import batchlint.engine
import batchlint.rules
from batchlint.rules import TABLE
from batchlint.rules.base import DocumentRule, Rule, RunRule, needs_met
from tests.conftest import REPO, corpus2_or_skip, corpus_or_skip
from tests.helpers import run_cli
from tests.test_cases import CASES, _cases, _committed
from tests.test_startup import ACCELERATE, TRAIN  # a MuseV config with a comment stating its total

RULES_DIR = REPO / "batchlint" / "rules"


def _kind(cls: type[Rule]) -> str:
    document, run = issubclass(cls, DocumentRule), issubclass(cls, RunRule)
    return "document+run" if document and run else "document" if document else "run" if run else "engine"


def _declared() -> dict[str, tuple[str, str, tuple[str, ...], str, str, str, tuple[str, ...]]]:
    """Every rule class of every rule module, as the table would write it."""
    found = {}
    for path in sorted(RULES_DIR.glob("*.py")):
        if path.stem in ("__init__", "base"):
            continue
        module = importlib.import_module(f"batchlint.rules.{path.stem}")
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, Rule) and cls.__module__ == module.__name__ and hasattr(cls, "code"):
                assert cls.code not in found, f"{cls.code} is declared twice"
                found[cls.code] = (cls.code, cls.name, cls.aliases, path.stem, name, _kind(cls), cls.needs)
    return found


def test_the_table_is_what_the_rules_declare() -> None:
    declared = _declared()
    assert {entry[0]: entry for entry in TABLE} == declared
    assert len(TABLE) == len(declared)


def test_only_run_rules_declare_needs() -> None:
    """The engine calls every document rule; a need would be ignored on one."""
    assert [entry[0] for entry in TABLE if entry[6] and entry[5] != "run"] == []


def test_every_place_that_lists_rules_sees_them_all() -> None:
    from batchlint.rules import BY_CODE, BY_NAME, RULES

    assert [r.code for r in RULES] == [entry[0] for entry in TABLE]
    assert {BY_CODE[entry[0]].code for entry in TABLE} == {BY_NAME[entry[1]].code for entry in TABLE} == {entry[0] for entry in TABLE}
    assert BY_CODE["X008"] is BY_CODE["BL102"]  # an alias is the same rule


def _recorded_runs(monkeypatch: pytest.MonkeyPatch, checks: list[tuple[Path, list[str]]]) -> list[tuple[object, object]]:
    """Every (run, pairing) the engine chooses rules for while `batchlint check` runs on each (folder, args)."""
    seen: list[tuple[object, object]] = []
    original = batchlint.engine.checks

    def recording(codes: tuple[str, ...], runs: list[tuple[object, object]]) -> tuple[tuple[object, object], ...]:
        seen.extend(runs)
        return original(codes, runs)  # type: ignore[arg-type]

    monkeypatch.setattr(batchlint.engine, "checks", recording)
    monkeypatch.setenv("BATCHLINT_SERIAL", "1")  # the runs are recorded in this process
    for cwd, args in checks:
        run_cli("check", "--format", "concise", "--no-cache", "--exit-zero", *args, cwd=cwd)
    return seen


def _needs_hold(seen: list[tuple[object, object]]) -> tuple[set[str], set[str]]:
    """Asserts that each rule with needs yields nothing on every run that misses them (so skipping it,
    and not importing its module, cannot hide a finding); the codes skipped on some run, and the codes
    that report on some run that meets their needs."""
    needing = [(entry[0], entry[6]) for entry in TABLE if entry[6]]
    skipped: set[str] = set()
    reported: set[str] = set()
    for run, pairing in seen:
        met = needs_met(run, pairing)  # type: ignore[arg-type]
        for code, needs in needing:
            rule = batchlint.rules.rule(code)
            assert isinstance(rule, RunRule)
            found = list(rule.check_run(run, pairing))  # type: ignore[arg-type]
            if not met.issuperset(needs):
                skipped.add(code)
                assert found == [], f"{code} reports on a run of {run.config} without {set(needs) - met}"  # type: ignore[attr-defined]
            elif found:
                reported.add(code)
    return skipped, reported


def test_a_rule_reports_nothing_on_a_run_that_misses_its_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over every case's runs, each rule whose needs a run does not meet yields nothing on it; and the
    cases test every such rule both ways: on runs it is skipped for, and on runs where it reports."""
    with tempfile.TemporaryDirectory() as work:
        checks = []
        for case in _cases():
            folder = CASES / case
            args = shlex.split((folder / "args").read_text(encoding="utf-8"))
            checks.append((_committed(folder, Path(work)) if (folder / "HEAD").is_dir() else folder, args))
        seen = _recorded_runs(monkeypatch, checks)
    assert len(seen) > 200
    skipped, reported = _needs_hold(seen)
    needing = {entry[0] for entry in TABLE if entry[6]}
    assert skipped == needing
    assert reported == needing, f"no case has a finding of {sorted(needing - reported)}"


@pytest.mark.parametrize("which", ["corpus", "corpus2"])
def test_needs_hold_on_the_corpora(which: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same over every run of the shared corpora (real configs, launch scripts and accelerate files)."""
    folder = corpus_or_skip() if which == "corpus" else corpus2_or_skip()
    seen = _recorded_runs(monkeypatch, [(folder, ["."])])
    assert len(seen) > 40
    _needs_hold(seen)


_MODULES = (
    "import io, sys, contextlib\n"
    "from batchlint.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    main(sys.argv[1:])\n"
    "print(' '.join(sorted(m for m in sys.modules if m.startswith('batchlint.'))))\n"
)


def _batchlint_modules(folder: Path, *args: str) -> set[str]:
    """The batchlint modules (without the `batchlint.` prefix) a `check` with `args` imports."""
    env = dict(os.environ, PYTHONPATH=str(REPO), BATCHLINT_SERIAL="1")
    proc = subprocess.run(
        [sys.executable, "-c", _MODULES, "check", "--no-cache", "--exit-zero", *args], cwd=folder, env=env, capture_output=True, text=True, check=True
    )
    return {name.removeprefix("batchlint.") for name in proc.stdout.split()}


def _rule_modules(folder: Path, *args: str) -> set[str]:
    return {name.removeprefix("rules.") for name in _batchlint_modules(folder, *args) if name.startswith("rules.")}


def _config(folder: Path) -> None:
    (folder / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (folder / "dataset.yaml").write_text("width: 512\nheight: 320\n", encoding="utf-8")


def test_a_run_without_deepspeed_input_imports_no_deepspeed_rule(tmp_path: Path) -> None:
    _config(tmp_path)
    (tmp_path / "acc.yaml").write_text(ACCELERATE, encoding="utf-8")
    loaded = _rule_modules(tmp_path, "train.yaml", "--accelerate-config", "acc.yaml")
    assert "accelerate" in loaded and "batch" in loaded  # the rules that apply are imported
    assert not loaded & {"deepspeed", "deepspeed_more"}
    (tmp_path / "ds.json").write_text('{"train_batch_size": 64, "train_micro_batch_size_per_gpu": 2}', encoding="utf-8")
    assert {"deepspeed", "deepspeed_more"} <= _rule_modules(tmp_path, "ds.json", "--num-processes", "8")


def test_a_run_without_accelerate_config_imports_no_accelerate_rule(tmp_path: Path) -> None:
    _config(tmp_path)
    loaded = _rule_modules(tmp_path, "train.yaml", "--num-processes", "8")
    assert "batch" in loaded
    assert not loaded & {"accelerate", "accelerate_more", "fsdp", "deepspeed", "deepspeed_more", "drift"}


def test_a_plain_multi_gpu_run_imports_no_module_it_cannot_use(tmp_path: Path) -> None:
    """A MuseV config launched by a script with a plain MULTI_GPU accelerate config (a pre-commit hook's
    one-file check): none of the rules of FSDP, DeepSpeed, fp8, dynamo, Megatron, split_batches or a
    fixed global batch can report, and nothing shards, composes a Hydra list or reads a DeepSpeed JSON."""
    _config(tmp_path)
    (tmp_path / "accelerate.yaml").write_text(ACCELERATE + "gpu_ids: all\nrdzv_backend: static\nsame_network: true\nuse_cpu: false\n", encoding="utf-8")
    (tmp_path / "train.sh").write_text("accelerate launch --config_file accelerate.yaml --num_processes 4 train.py --config train.yaml\n", encoding="utf-8")
    loaded = _batchlint_modules(tmp_path, "train.yaml")
    assert {"rules.accelerate", "rules.batch", "pair", "derive"} <= loaded  # paired with its accelerate config, whose rules run
    unused = {
        "rules.accelerate_more",
        "rules.fsdp",
        "rules.cross_more",
        "rules.global_batch",
        "rules.deepspeed",
        "sharding",
        "dialects.deepspeed",
        "loading.hydra",
    }
    assert loaded & unused == set()


def test_the_deepspeed_dialect_name_is_its_declaration_s() -> None:
    from batchlint.dialects import registry

    assert registry.DEEPSPEED_NAME == registry.DEEPSPEED.name == "deepspeed"
    assert registry.DEEPSPEED is registry.by_name(registry.DEEPSPEED_NAME)
