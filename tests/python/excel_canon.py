"""Canonical text of spreadsheet cell values, shared by the Excel differential test and its
python-calamine dump script, so both readers' values compare as the same words.

Numbers: integral -> "3", else repr(float); booleans "true"/"false"; dates ISO "2021-01-02";
datetimes at midnight count as dates, else ISO "2021-01-02T10:00:00[.mmm]"; times and durations
"[h]h:mm:ss[.mmm]". Text that spells a number is canonicalised as that number (both readers'
mixed columns render numbers as text). Empty strings are not values.
"""
from __future__ import annotations

import datetime as _dt
import math
import re

_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# OpenDocument time values as text: PT12H30M15.5S
_ISO_DUR = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


def canon_float(f: float) -> str:
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f == int(f) and abs(f) < 2**63:
        return str(int(f))
    return repr(f)


def _hms(ms: int) -> str:
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    out = f"{sign}{h:02d}:{m:02d}:{s:02d}"
    return out + (f".{milli:03d}" if milli else "")


def _dt_text(v: _dt.datetime) -> str:
    if v.hour == v.minute == v.second == v.microsecond == 0:
        return v.date().isoformat()
    ms = round(v.microsecond / 1000)
    base = v.replace(microsecond=0).isoformat()
    return base + (f".{ms:03d}" if ms else "")


def canon_text(s: str) -> str | None:
    t = s.strip()
    if t == "":
        return None
    if _NUM.match(t):
        try:
            return canon_float(float(t))
        except ValueError:
            pass
    m = _ISO_DUR.match(t)
    if m:
        h, mi, sec = (float(g) if g else 0.0 for g in m.groups())
        return _hms(round((h * 3600 + mi * 60 + sec) * 1000))
    low = t.lower()
    if low in ("true", "false"):
        return low
    # ISO datetimes written as text by either reader.
    if len(t) >= 19 and t[4] == "-" and t[10] in "T " and t[13] == ":":
        try:
            return _dt_text(_dt.datetime.fromisoformat(t.replace(" ", "T")))
        except ValueError:
            pass
    return s


def canon_value(v) -> str | None:
    """Canonical text of one Python value (None: not a value)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return canon_float(v)
    if isinstance(v, _dt.datetime):
        return _dt_text(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, _dt.time):
        return _hms(v.hour * 3_600_000 + v.minute * 60_000 + v.second * 1000 + round(v.microsecond / 1000))
    if isinstance(v, _dt.timedelta):
        return _hms(round(v.total_seconds() * 1000))
    if isinstance(v, str):
        return canon_text(v)
    return str(v)
