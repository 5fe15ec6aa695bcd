"""The code a stored layout names (``answer.layout``): what decides its values, hashed.

A replica that reads a layout another release stored must know it holds the values its own rules give.
The layout names ``layout_code()``: a hash of the line, neighbour and heading modules and of the layout
module's ``RULES`` (its constants and ``SentenceLayout.of``), as parsed code, so rewording a docstring
or a comment keeps every stored layout, and so does changing only how a layout is kept in memory or
stored.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

from rag_service.answer import lines as lines_module
from rag_service.answer import neighbours as neighbours_module
from rag_service.answer import sections as sections_module

LAYOUT = Path(__file__).with_name("layout.py")

RULES = frozenset({"_FLAGS", "OTHER_VOICE", "TABLE_HEADER", "MAX_WORDS", "of"})
"""What of ``answer/layout.py`` decides a layout's values: its constants and ``SentenceLayout.of``. How a
layout is kept in memory or stored (``RowLinks``, ``to_bytes``) is not a rule: changing it keeps stored
layouts."""


SAME_VALUES = {
    "556e45019ed3c670aa5c11429802e487710e46ee985d8df45b672596beaf9c9a": (
        "aaaa5f9e8c7845377511460e92848f1e858ae2a1f80227f692ecc2f371f65a59"
    )
}
"""``layout_code()`` -> the code of the release before it when that release's rules gave the same
values: a layout it stored is read, not walked again. The release that narrowed the code to ``RULES``
changed the code without changing a value; at a million chunks a replica reading on demand would
otherwise walk five million sentences through the database. Once a rule changes, the current code is no
longer a key and the entry is dead (a test says so)."""


@functools.cache
def layout_code() -> str:
    """SHA-256 of the code that decides a layout's values: the line, neighbour and heading modules and
    this module's ``RULES``, as parsed code (docstrings, comments and layout of the source do not count,
    so a release that only rewords them keeps every stored layout)."""
    digest = hashlib.sha256()
    for module in (lines_module, neighbours_module, sections_module):
        digest.update(_code(ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))).encode())
    digest.update(_own_rules(LAYOUT.read_text(encoding="utf-8")).encode())
    return digest.hexdigest()


def _own_rules(source: str) -> str:
    """The ``RULES`` defined in ``source`` (this module's), as ``_code`` dumps them."""
    nodes: list[ast.stmt] = [
        n
        for n in ast.walk(ast.parse(source))
        if _named(n) & RULES and isinstance(n, ast.Assign | ast.FunctionDef)
    ]
    return _code(ast.Module(body=nodes, type_ignores=[]))


def _named(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    return {node.name} if isinstance(node, ast.FunctionDef) else set()


def _code(tree: ast.Module) -> str:
    """``tree`` dumped without its string statements (docstrings, attribute notes)."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kept = [
                    b for b in body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))
                ]
                setattr(node, field, kept or ([ast.Pass()] if field == "body" else []))
    return ast.dump(tree)
