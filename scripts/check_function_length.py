#!/usr/bin/env python3
"""House rule: no function in a crate's `src/` is longer than about 80 lines.

Functions that were longer when the rule came are listed in LONG with their length then; they
may shrink (split them when you touch them, and lower or remove their entry) but not grow, and
no other function may pass the limit. Test modules (`#[cfg(test)]`) are not counted.
Run from the repository root: `python3 scripts/check_function_length.py`.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

LIMIT = 80

# (file, function): length when the rule came in (2026-12-07). Lower these as they are split.
# Every one of them is split now; the table stays so a function that must stay long for a while
# can be named here, with its reason.
LONG: dict[tuple[str, str], int] = {}

FN = re.compile(r"^(\s*)(?:pub(?:\([a-z:]+\))? )?(?:const )?(?:async )?(?:unsafe )?fn (\w+)")


def functions(path: Path):
    """(name, first line, length) of every function outside `#[cfg(test)]` modules."""
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "#[cfg(test)]":
            # Skip the test module: up to the closing brace at its indentation.
            j = i + 1
            indent = len(lines[j]) - len(lines[j].lstrip()) if j < len(lines) else 0
            j += 1
            while j < len(lines) and lines[j] != " " * indent + "}":
                j += 1
            i = j + 1
            continue
        m = FN.match(lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            indent = m.group(1)
            j = i + 1
            while j < len(lines) and lines[j] != indent + "}":
                j += 1
            yield m.group(2), i + 1, j - i + 1
        i += 1


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    problems, seen = [], set()
    for path in sorted(root.glob("crates/*/src/**/*.rs")):
        rel = path.relative_to(root).as_posix()
        for name, line, length in functions(path):
            allowed = LONG.get((rel, name), LIMIT)
            if (rel, name) in LONG:
                seen.add((rel, name))
            if length > allowed:
                why = "grew" if (rel, name) in LONG else f"is over {LIMIT} lines"
                problems.append(f"{rel}:{line}: fn {name} has {length} lines and {why} (split it)")
    for key in sorted(set(LONG) - seen):
        problems.append(f"{key[0]}: fn {key[1]} is listed in LONG but no longer exists: remove its entry")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"function length: {len(LONG)} known long functions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
