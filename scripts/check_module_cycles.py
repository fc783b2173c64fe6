#!/usr/bin/env python3
"""House rule: modules of a crate do not import each other in circles.

A module's imports are the `crate::a::b` and `super::x` paths in its code (comments and
`#[cfg(test)]` modules left out; a module using its own parent or children does not count).
Circles that existed when the rule came were listed in KNOWN (all are broken now); any circle
fails. Run from the repository root: `python3 scripts/check_module_cycles.py`.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

# Circles when the rule came in (2026-12-07), by crate: break them and remove their entry.
# Every one of them is broken now; the list stays so a circle that must be lived with for a
# while can be named here, with its reason.
KNOWN: dict[str, list[set[str]]] = {}


def module_name(src: Path, path: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        return ""
    return "::".join(parts)


def code_of(path: Path) -> str:
    """The file's code without comments and without its `#[cfg(test)]` module."""
    text = path.read_text(encoding="utf-8").split("#[cfg(test)]")[0]
    return "\n".join(line.split("//")[0] for line in text.split("\n"))


def graph(src: Path) -> dict[str, set[str]]:
    modules = {module_name(src, p): p for p in src.rglob("*.rs")}
    edges: dict[str, set[str]] = defaultdict(set)
    for m, path in modules.items():
        code = code_of(path)
        parent = "::".join(m.split("::")[:-1])
        targets = []
        for used in re.findall(r"crate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", code):
            parts = used.split("::")
            targets += ["::".join(parts[:k]) for k in range(len(parts), 0, -1) if "::".join(parts[:k]) in modules][:1]
        for used in re.findall(r"\bsuper::([a-z_][a-z0-9_]*)", code):
            candidate = f"{parent}::{used}" if parent else used
            if candidate in modules:
                targets.append(candidate)
        for t in targets:
            related = t == m or m.startswith(t + "::") or t.startswith(m + "::") or m == "" or t == ""
            if not related:
                edges[m].add(t)
    return edges


def circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    problems = []
    for src in sorted(root.glob("crates/*/src")):
        crate = src.parent.name
        known = KNOWN.get(crate, [])
        found = circles(graph(src))
        for circle in found:
            if not any(circle <= k for k in known):
                problems.append(f"{crate}: modules import each other in a circle: {', '.join(sorted(circle))}")
        for k in known:
            if not any(len(circle & k) > 1 for circle in found):
                problems.append(f"{crate}: the circle {', '.join(sorted(k))} is gone: remove it from KNOWN")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"module circles: {sum(len(k) for k in KNOWN.values())} known, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
