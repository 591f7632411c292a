"""What a dialect is: a declaration of one trainer's config shape.

A dialect names how to recognise a file (`signature`: keys that must / may / must not appear, with
weights and a minimum score; a custom `detect` callable only for shapes a signature cannot say),
where its batch numbers live (`keys`: fact -> candidate key paths, first present wins), batch-looking
keys that are not the training batch (`decoys`), what applies when a key is absent (`defaults`), how
its values are read (`semantics`), how a declared global batch is split (`global_shape`), and
optionally a `derive` hook for arithmetic that is not a lookup (axolotl's `batch_size //
micro_batch_size`). Adding a trainer is adding a declaration and fixtures, not a branch in the engine.

Key paths in a signature: `a.b` (present, any value), `a.b{}` (a mapping), `a.b[]` (a list),
`a.b=v` (a scalar whose text is v, case-insensitive).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from batchlint.loading.keypath import node_at
from batchlint.loading.nodes import Mapping as MappingNode
from batchlint.loading.nodes import Node, Scalar, Sequence
from batchlint.model import DialectKind, Fact, FactName, GlobalShape, Semantics

# The facts of a run while it is being derived: a hook reads and adds to them.
FactDict = dict[FactName, Fact[object]]
DeriveHook = Callable[[FactDict], None]


def has_path(root: Node | None, dotted: str) -> bool:
    return node_at(root, dotted) is not None


def present(root: Node | None, spec: str) -> bool:
    """One signature key: `a.b`, `a.b{}` (a mapping), `a.b[]` (a list), `a.b=v` (that scalar text)."""
    if spec.endswith("{}"):
        return isinstance(node_at(root, spec[:-2]), MappingNode)
    if spec.endswith("[]"):
        return isinstance(node_at(root, spec[:-2]), Sequence)
    if "=" in spec:
        path, _, want = spec.partition("=")
        node = node_at(root, path)
        return isinstance(node, Scalar) and str(node.value).lower() == want.lower()
    return node_at(root, spec) is not None


class SignatureMatch:
    """Why a dialect claimed a file: the signature keys found, their score, and how sure it is.
    (Plain slotted classes here, not dataclasses: they are built at start-up of every hook run.)"""

    __slots__ = ("dialect", "found", "score", "confidence", "note")

    def __init__(self, dialect: str, found: tuple[str, ...], score: float = 0.0, confidence: str = "high", note: str = "") -> None:
        self.dialect = dialect
        self.found = found  # signature keys present in the file (must, one-of and may keys)
        self.score = score
        self.confidence = confidence  # high | medium | low
        self.note = note  # for a custom detect or the generic reader: what it relied on

    def why(self) -> str:
        keys = ", ".join(self.found) if self.found else "(custom shape)"
        return f"{self.dialect}: {keys}" + (f"; {self.note}" if self.note else "")


class Signature:
    """How a file of this dialect is recognised by its keys."""

    __slots__ = ("must", "one_of", "may", "must_not", "min_score")

    def __init__(
        self,
        must: tuple[str, ...] = (),
        one_of: tuple[tuple[str, ...], ...] = (),
        may: Mapping[str, float] | None = None,
        must_not: tuple[str, ...] = (),
        min_score: float = 0.0,
    ) -> None:
        self.must = must  # every one present
        self.one_of = one_of  # from each group at least one present
        self.may: Mapping[str, float] = may or {}  # markers and their weights
        self.must_not = must_not  # none present
        self.min_score = min_score  # the weights of the `may` keys found must reach this

    def match(self, name: str, root: Node | None) -> SignatureMatch | None:
        if not isinstance(root, MappingNode):
            return None
        found: list[str] = []
        for spec in self.must:
            if not present(root, spec):
                return None
            found.append(spec)
        for group in self.one_of:
            hits = [spec for spec in group if present(root, spec)]
            if not hits:
                return None
            found.extend(hits)
        if any(present(root, spec) for spec in self.must_not):
            return None
        score = 0.0
        for spec, weight in self.may.items():
            if present(root, spec):
                found.append(spec)
                score += weight
        if score < self.min_score:
            return None
        return SignatureMatch(name, tuple(dict.fromkeys(found)), score)

    def keys(self) -> tuple[str, ...]:
        return (*self.must, *(k for group in self.one_of for k in group), *self.may)


class Link:
    """Another file the run reads that decides some facts when it sets them (sd-scripts'
    `dataset_config` TOML decides the batch over the GUI's `train_batch_size`)."""

    __slots__ = ("via", "dialect", "facts")

    def __init__(self, via: FactName, dialect: str, facts: tuple[FactName, ...]) -> None:
        self.via = via  # the fact that names the file
        self.dialect = dialect  # the dialect that reads it
        self.facts = facts  # what it decides


class Dialect:
    """One trainer's config shape, declared. Immutable by convention; a plain slotted class (a
    dataclass with this many fields costs start-up time in every pre-commit run)."""

    __slots__ = (
        "name",
        "kind",
        "semantics",
        "keys",
        "signature",
        "detect",
        "decoys",
        "defaults",
        "global_shape",
        "world_from",
        "dp_needs",
        "dynamic_keys",
        "links",
        "config_root",
        "merged_at_run_time",
        "formats",
        "needs_training_evidence",
        "preset_target",
        "preset_source",
        "preset_applies",
        "derive",
        "description",
    )

    def __init__(
        self,
        name: str,
        kind: DialectKind,
        semantics: Semantics,  # how values are read
        keys: Mapping[FactName, tuple[str, ...]],  # fact -> candidate key paths, first present wins
        signature: Signature | None = None,
        detect: Callable[[Node | None], bool] | None = None,  # a custom test for odd shapes (with or instead of the signature)
        decoys: tuple[str, ...] = (),  # batch-looking keys that are not the training batch
        defaults: Mapping[FactName, object] | None = None,  # fact -> value when the key is absent
        global_shape: GlobalShape | None = None,  # how a declared global batch is split (None: no global batch)
        world_from: tuple[FactName, ...] = (),  # parallel degrees whose product is the process count (nanotron dp × tp × pp)
        dp_needs: tuple[FactName, ...] = (),  # without these (TP/PP restored from a checkpoint) the data-parallel size is unknown
        dynamic_keys: Callable[[Node | None], Mapping[FactName, tuple[str, ...]]] | None = None,  # key paths that depend on values
        links: tuple[Link, ...] = (),  # other files that decide some facts
        config_root: str = "",  # where the trainer's own config starts inside the file (`parameters` of a run YAML)
        merged_at_run_time: bool = False,  # merged over another config when it runs (NeMo: the checkpoint's): no missing-key error
        formats: frozenset[str] | None = None,  # the file formats it reads (Document.format); None: any
        needs_training_evidence: bool = False,  # a shape sampling configs share: claimed only with optimizer and steps keys
        preset_target: int | None = None,  # the family's own stated total batch, if any
        preset_source: str = "",
        preset_applies: Callable[[Node | None], bool] | None = None,  # the preset speaks for this file (default: always)
        derive: DeriveHook | None = None,  # arithmetic the key map cannot express
        description: str = "",
    ) -> None:
        self.name = name
        self.kind = kind
        self.semantics = semantics
        self.keys = keys
        self.signature = signature
        self.detect = detect
        self.decoys = decoys
        self.defaults: Mapping[FactName, object] = defaults or {}
        self.global_shape = global_shape
        self.world_from = world_from
        self.dp_needs = dp_needs
        self.dynamic_keys = dynamic_keys
        self.links = links
        self.config_root = config_root
        self.merged_at_run_time = merged_at_run_time
        self.formats = formats
        self.needs_training_evidence = needs_training_evidence
        self.preset_target = preset_target
        self.preset_source = preset_source
        self.preset_applies = preset_applies
        self.derive = derive
        self.description = description

    def __repr__(self) -> str:
        return f"Dialect({self.name!r})"

    @property
    def is_training(self) -> bool:
        return self.kind == DialectKind.TRAINING

    def match(self, root: Node | None) -> SignatureMatch | None:
        """Why this dialect claims the document's root, or None when it does not."""
        if not isinstance(root, MappingNode):
            return None
        found = SignatureMatch(self.name, ())
        if self.signature is not None:
            hit = self.signature.match(self.name, root)
            if hit is None:
                return None
            found = hit
        if self.detect is not None:
            if not self.detect(root):
                return None
            if self.signature is None:
                found = SignatureMatch(self.name, (), note=self.description)
        elif self.signature is None:
            return None  # a dialect that never comes from a file (shell-cli)
        if self.needs_training_evidence:
            from batchlint.dialects.evidence import training_evidence

            optimisation, duration = training_evidence(root)
            if not optimisation or not duration:
                return None  # an inference or sampling config with the same batch key
        return found

    def claims(self, root: Node | None) -> bool:
        return self.match(root) is not None

    def keys_for(self, root: Node | None) -> Mapping[FactName, tuple[str, ...]]:
        """The key map for one file: the declared one, plus keys that depend on the file's values."""
        if self.dynamic_keys is None:
            return self.keys
        return {**self.keys, **self.dynamic_keys(root)}


def _prefixed(prefix: str, spec: str) -> str:
    return f"{prefix}.{spec}"


def nested(
    inner: Dialect, prefix: str, name: str, must: tuple[str, ...] = (), keys: Mapping[FactName, tuple[str, ...]] | None = None, description: str = ""
) -> Dialect:
    """The same trainer config nested under `prefix` (a MosaicML run YAML's `parameters:`), with the
    wrapper's own signature keys (`must`) and facts (`keys`)."""
    sig = inner.signature or Signature()
    signature = Signature(
        must=(*must, *(_prefixed(prefix, k) for k in sig.must)),
        one_of=tuple(tuple(_prefixed(prefix, k) for k in group) for group in sig.one_of),
        may={_prefixed(prefix, k): w for k, w in sig.may.items()},
        must_not=tuple(_prefixed(prefix, k) for k in sig.must_not),
        min_score=sig.min_score,
    )
    mapped = {fact: tuple(_prefixed(prefix, p) for p in paths) for fact, paths in inner.keys.items()}
    mapped.update(keys or {})
    return Dialect(
        name=name,
        kind=inner.kind,
        semantics=inner.semantics,
        keys=mapped,
        signature=signature,
        decoys=tuple(_prefixed(prefix, d) for d in inner.decoys),
        defaults=inner.defaults,
        global_shape=inner.global_shape,
        world_from=inner.world_from,
        dp_needs=inner.dp_needs,
        derive=inner.derive,
        config_root=prefix,
        merged_at_run_time=inner.merged_at_run_time,
        description=description or inner.description,
    )
