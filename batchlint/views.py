"""What a rule sees of a file: its nodes, comments, duplicate keys and resolved values, never its
text. Edits that need the text around a node (a whole entry deleted, a key inserted on its own line)
are built here, so rules only name what to change."""

from __future__ import annotations

from batchlint.fixes import Edit, delete_entry, insert_json_member, insert_key_after
from batchlint.loading.nodes import Comment, Document, DuplicateKey, LoadError, Node, Scalar, Span
from batchlint.model import Fact, Semantics
from batchlint.resolve import ConfigTree, KeyPath, Problem, Resolved


class DocumentView:
    """One loaded file, as a rule may read it."""

    __slots__ = ("_doc", "_tree", "path", "load_error", "dialect", "semantics", "problems")

    def __init__(
        self,
        path: str,
        doc: Document | None,
        load_error: LoadError | None = None,
        dialect: str | None = None,
        semantics: Semantics | None = None,
        problems: tuple[Problem, ...] = (),
        tree: ConfigTree | None = None,
    ) -> None:
        self._doc = doc
        self._tree = tree
        self.path = path  # display path
        self.load_error = load_error
        self.dialect = dialect  # the dialect that claimed the file, if any
        self.semantics = semantics
        self.problems = problems  # resolution problems found in this file's run (includes, interpolations)

    @property
    def loaded(self) -> bool:
        return self._doc is not None

    @property
    def format(self) -> str | None:
        return self._doc.format if self._doc is not None else None

    @property
    def root(self) -> Node | None:
        return self._doc.root if self._doc is not None else None

    @property
    def comments(self) -> list[Comment]:
        return self._doc.comments if self._doc is not None else []

    @property
    def duplicates(self) -> list[DuplicateKey]:
        return self._doc.duplicates if self._doc is not None else []

    @property
    def unsafe_tags(self) -> list[tuple[str, Span]]:
        return self._doc.unsafe_tags if self._doc is not None else []

    @property
    def is_empty(self) -> bool:
        return self._doc is not None and not self._doc.text.strip().lstrip("\ufeff")

    def is_document(self, doc: Document | None) -> bool:
        return doc is not None and doc is self._doc

    def resolve(self, path: KeyPath) -> Resolved | None:
        """A value as the consumer resolves it (OmegaConf interpolations followed); None without a resolver."""
        return self._tree.resolve(path) if self._tree is not None else None

    # -- edits that need the text around a node
    def delete_entry(self, key: Scalar, value: Node) -> Edit:
        assert self._doc is not None
        return delete_entry(key, value.span.end, self._doc.text)

    def insert_key_after(self, anchor: Fact[object] | Scalar, key: str, value: object) -> Edit | None:
        assert self._doc is not None
        return insert_key_after(anchor, key, value, self._doc.text)

    def insert_member(self, key: str, value: object) -> Edit | None:
        """`"key": value` as the last member of a JSON file's top-level object."""
        assert self._doc is not None
        return insert_json_member(self._doc, key, value)


def view_of(doc: Document, **kwargs: object) -> DocumentView:
    return DocumentView(doc.path, doc, **kwargs)  # type: ignore[arg-type]
