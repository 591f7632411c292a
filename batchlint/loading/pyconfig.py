"""Python config files (mmengine / MMDetection `_base_` configs, Open-Sora): the literal top-level
assignments, read with `ast` — never imported, never executed.

`batch_size = 4`, `train_dataloader = dict(batch_size=2, num_workers=4)`, `optim_wrapper =
dict(accumulative_counts=2)`, lists, tuples, numbers, strings, booleans and None become nodes with
the position of their literal. Anything else (a call to another function, arithmetic, a name) is not
a literal and is left out, so a fact that depends on it is simply unknown. A file `ast` cannot parse
is an empty config: batchlint says "Python config: not read", never "invalid YAML".
"""

from __future__ import annotations

import ast

from batchlint.loading.nodes import Comment, Document, Mapping, Node, Scalar, Sequence, Span
from batchlint.loading.text import LineIndex, find_comments

_TAGS = {bool: "bool", int: "int", float: "float", str: "str", type(None): "null"}


class _Reader:
    def __init__(self, path: str, text: str, index: LineIndex) -> None:
        self.path = path
        self.text = text
        self.index = index

    def _offset(self, line: int, byte_col: int) -> int:
        """ast columns count UTF-8 bytes; offsets count characters."""
        text = self.index.line_text(line)
        return self.index.offset(line, len(text.encode("utf-8")[:byte_col].decode("utf-8", "ignore")) + 1)

    def span(self, node: ast.AST) -> Span:
        line: int = getattr(node, "lineno", 1)
        start = self._offset(line, getattr(node, "col_offset", 0))
        end_col = getattr(node, "end_col_offset", None)
        end = self._offset(getattr(node, "end_lineno", None) or line, end_col) if end_col is not None else start
        return self.index.span(self.path, start, end)

    def key(self, name: str, node: ast.AST) -> Scalar:
        return Scalar(self.span(node), name, "tag:yaml.org,2002:str", "", name)

    def value(self, node: ast.AST) -> Node | None:
        if isinstance(node, ast.Constant) and type(node.value) in _TAGS:
            span = self.span(node)
            raw = self.text[span.start : span.end]
            style = raw[:1] if isinstance(node.value, str) and raw[:1] in ("'", '"') else ""
            return Scalar(span, str(node.value) if node.value is not None else raw, "tag:yaml.org,2002:" + _TAGS[type(node.value)], style, node.value)
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)
        ):
            span = self.span(node)
            return Scalar(span, self.text[span.start : span.end], "tag:yaml.org,2002:" + _TAGS[type(node.operand.value)], "", -node.operand.value)
        if isinstance(node, (ast.List, ast.Tuple)):
            seq = Sequence(self.span(node))
            seq.items = [v for v in (self.value(e) for e in node.elts) if v is not None]
            return seq
        if isinstance(node, ast.Dict):
            mapping = Mapping(self.span(node))
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    child = self.value(v)
                    if child is not None:
                        mapping.items.append((self.key(k.value, k), child))
            return mapping
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
            mapping = Mapping(self.span(node))
            for kw in node.keywords:
                if kw.arg is not None:
                    child = self.value(kw.value)
                    if child is not None:
                        mapping.items.append((self.key(kw.arg, kw), child))
            return mapping
        return None


def load_python(path: str, text: str) -> Document:
    index = LineIndex(text)
    comments: list[Comment] = find_comments(path, index, set())
    try:
        tree = ast.parse(text.lstrip("\ufeff"), filename=path)
    except (SyntaxError, ValueError, RecursionError):
        return Document(path, text, "python-unread", None, comments, [])
    reader = _Reader(path, text, index)
    root = Mapping(index.span(path, 0, len(text)))
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        node = reader.value(value)
        if node is not None:
            root.items.append((reader.key(target.id, target), node))
    return Document(path, text, "python", root, comments, [])


def is_config_module(path: str) -> bool:
    """A Python file named on the command line is read when it is a config module: at its top level only
    assignments, imports, docstrings and `with read_base():` blocks of imports (mmengine). A file with
    functions, classes, loops or calls at the top level is a program (`train.py`), not a config."""
    from batchlint.loading.files import ReadError, read_bytes

    try:
        text = read_bytes(path, record=False).decode("utf-8")
        tree = ast.parse(text.lstrip("\ufeff"), filename=path)
    except (ReadError, OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return False

    def plain(stmts: list[ast.stmt]) -> bool:
        for stmt in stmts:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom)):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                continue  # a docstring
            if isinstance(stmt, ast.With) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in stmt.body):
                continue  # `with read_base(): from .base import *`
            return False
        return True

    return bool(tree.body) and plain(tree.body)
