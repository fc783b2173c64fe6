"""`pyforge validate` on the W3C XML Conformance Test Suite (testdata/xml/conformance): exit 1
with one error line giving the file, line and column on every not-well-formed case, exit 0 on
every valid and invalid (well-formed, only against its DTD) case. The skipped classes and the
counts are those of the Rust test crates/pyforge-core/tests/core/xml_conformance.rs:
ENTITIES other than none (needs external entities, never fetched), EDITION without 5 (not-wf
only before the fifth edition), TYPE=error (optional)."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyforge_helpers as H

CATALOGUES = [
    "oasis/oasis.xml",
    "sun/sun-not-wf.xml",
    "sun/sun-valid.xml",
    "sun/sun-invalid.xml",
    "sun/sun-error.xml",
    "ibm/ibm_oasis_not-wf.xml",
    "ibm/ibm_oasis_valid.xml",
    "ibm/ibm_oasis_invalid.xml",
]


def cases(root: Path) -> list[tuple[str, str, Path]]:
    out = []
    for cat in CATALOGUES:
        path = root / cat
        # The Sun catalogues are fragments (no single root): the <TEST> tags are read directly.
        for m in re.finditer(r"<TEST\s([^>]*)>", path.read_text(encoding="utf-8")):
            t = {k: v for k, _, v in re.findall(r"(\w+)\s*=\s*(['\"])(.*?)\2", m.group(1), re.S)}
            edition = t.get("EDITION")
            if t.get("TYPE") == "error" or t.get("ENTITIES", "none") != "none":
                continue
            if edition is not None and "5" not in edition.split():
                continue
            out.append((t.get("ID"), t.get("TYPE"), path.parent / t.get("URI")))
    return out


def test_validate_exit_codes_on_the_w3c_suite(pyforge, testdata):
    all_cases = cases(testdata / "xml" / "conformance")
    kinds = [k for _, k, _ in all_cases]
    assert (kinds.count("not-wf"), kinds.count("valid"), kinds.count("invalid")) == (675, 151, 125)

    def check(case):
        cid, kind, path = case
        run = H.run_cli(pyforge, "validate", path)
        H.assert_no_panic(run)
        if kind != "not-wf":
            return None if run.returncode == 0 else f"{cid}: refused\n{run.describe()}"
        if run.returncode != 1:
            return f"{cid}: accepted\n{run.describe()}"
        lines = run.stderr.strip("\n").split("\n")
        msg = lines[0]
        # Syntax errors give line and column; an unsupported declared encoding (decided before
        # parsing, from the declaration on line 1) gives the line.
        located = re.search(r"line \d+: column \d+", msg) or ("line 1:" in msg and "encoding declared" in msg)
        if len(lines) != 1 or path.name not in msg or not located:
            return f"{cid}: the error does not give the file, line and column\n{run.describe()}"
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        wrong = [w for w in pool.map(check, all_cases) if w]
    assert not wrong, f"{len(wrong)} of {len(all_cases)} cases wrong:\n" + "\n".join(wrong[:20])
