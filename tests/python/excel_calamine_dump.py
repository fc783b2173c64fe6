"""Dump every sheet of one workbook as python-calamine reads it: JSON {"sheets": {name:
[canonical non-empty values...]}} or {"error": "..."} on stdout. Run in a subprocess with a
timeout by test_excel_calamine.py (python-calamine may panic or hang on broken files)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from excel_canon import canon_value  # noqa: E402


def main(path: str) -> None:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(path)
        out = {}
        for meta in wb.sheets_metadata:
            if "WorkSheet" not in str(meta.typ) and "MacroSheet" not in str(meta.typ):
                continue
            rows = wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            vals = [c for r in rows for c in (canon_value(v) for v in r) if c is not None]
            out[meta.name] = vals
        print(json.dumps({"sheets": out}))
    except BaseException as e:  # noqa: BLE001 - a reference failure is data, not a crash
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))


if __name__ == "__main__":
    main(sys.argv[1])
