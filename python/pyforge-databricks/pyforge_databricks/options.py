"""The original PyForge design's option names, translated to pyforge-core's.

The original Python API took grouped options: ``format_options={'compression': 'snappy',
'partition_by': ['year', 'month']}`` and ``excel_options={'combine_sheets': True}``. They are
flattened into the command's options here; plain keyword options pass through unchanged, and
an option that means nothing to the converter is a ``UsageError`` (from the converter), never
silently ignored.
"""

from __future__ import annotations

from typing import Any, Mapping

from pyforge_core import UsageError

# Grouped option name -> the converter's option name (None: accepted, nothing to pass).
_FORMAT_OPTIONS = {
    "compression": "compression",
    "partition_by": "partition_by",
    "row_group_size": "row_group_size",
    "page_markers": "page_markers",
}
_EXCEL_OPTIONS = {
    "combine_sheets": "combine",
    "combine": "combine",
    "sheet_names": "sheets",
    "sheets": "sheets",
    "sheet_name": "sheets",
    "exclude_sheets": "exclude_sheets",
    "header_row": "header_row",
    "fill_merged": "fill_merged",
    "errors": "errors",
}
# Top-level names of the original API.
_ALIASES = {"overwrite": "force", "output_format": "format"}


def _merge(out: dict, group: str, values: Mapping[str, Any] | None, names: Mapping[str, str]) -> None:
    for key, value in (values or {}).items():
        target = names.get(key)
        if target is None:
            known = ", ".join(sorted(names))
            raise UsageError(f"{group}: unknown option {key!r} (known: {known})")
        if target in out and out[target] != value:
            raise UsageError(f"{group}: {key!r} conflicts with the option {target!r} given as well")
        out[target] = value


def core_options(
    options: Mapping[str, Any],
    format_options: Mapping[str, Any] | None = None,
    excel_options: Mapping[str, Any] | None = None,
) -> dict:
    """The keyword options for ``pyforge_core.PyForgeCore.convert``.

    >>> core_options({"overwrite": True}, {"compression": "snappy"}, {"combine_sheets": True})
    {'force': True, 'compression': 'snappy', 'combine': True}
    """
    out: dict = {}
    for key, value in options.items():
        out[_ALIASES.get(key, key)] = value
    _merge(out, "format_options", format_options, _FORMAT_OPTIONS)
    _merge(out, "excel_options", excel_options, _EXCEL_OPTIONS)
    if isinstance(out.get("sheets"), str):
        out["sheets"] = [out["sheets"]]
    return out
