"""Reading a Dash component tree as the renderer receives it (JSON): every node, the text a
node shows, the nodes carrying a CSS class."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(tree: Any) -> Iterator[dict]:
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from walk(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from walk(item)


def text(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(text(n) for n in node)
    if isinstance(node, dict):
        return text(node.get("props", {}).get("children", ""))
    return "" if node is None else str(node)


def with_class(tree: Any, css: str) -> list[dict]:
    return [n for n in walk(tree) if css in str(n.get("props", {}).get("className", "")).split()]
