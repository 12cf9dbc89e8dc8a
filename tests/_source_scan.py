"""Reading the package's source as syntax trees, for the tests that police where things live
(kind names only in the registry, run files only in checkpoint)."""

from __future__ import annotations

import ast


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants in ``tree`` (prose may name what code may not)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found
