"""--recover: broken XML and JSON exports are read only when asked, and every repair is counted
where a person looks: `info --json`, the manifest and the convert result."""
from __future__ import annotations

import json

import pyforge_helpers as H


def test_repairs_are_counted_in_info_and_the_manifest(pyforge, tmp_path):
    src = tmp_path / "roots.xml"
    src.write_text("<r><i>1</i></r>\n<r><i>2</i></r>\n<r><i>3</i></r>\n")
    strict = H.run_cli(pyforge, "convert", src, f"{tmp_path}/strict/")
    assert strict.returncode == 1 and "roots.xml" in strict.stderr and "second root element" in strict.stderr
    assert not (tmp_path / "strict").exists() or not any((tmp_path / "strict").iterdir())

    info = H.run_cli(pyforge, "info", "--json", "--recover", src)
    assert info.returncode == 0, info.describe()
    assert json.loads(info.stdout)["tables"][0]["details"]["repairs"] == 2

    done = H.run_cli(pyforge, "convert", "--recover", src, f"{tmp_path}/out/")
    assert done.returncode == 0, done.describe()
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["tables"][0]["rows"] == 3 and manifest["tables"][0]["details"]["repairs"] == 2


def test_nothing_repaired_means_no_count(pyforge, tmp_path):
    src = tmp_path / "fine.json"
    src.write_text('[{"a": 1}, {"a": 2}]')
    info = H.run_cli(pyforge, "info", "--json", "--recover", src)
    assert info.returncode == 0, info.describe()
    assert "repairs" not in json.loads(info.stdout)["tables"][0]["details"]
