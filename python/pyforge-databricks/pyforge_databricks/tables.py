"""``PyForgeDatabricks.convert(db, table_prefix="catalog.schema.")``: every table of a database
as a managed table of the Spark catalog, with the Access descriptions as comments and the keys
as constraints where the catalog has them.

The rows are read by PyForge's own reader inside Spark tasks (the ``pyforge`` data source,
:mod:`pyforge_databricks.spark`), so the values are those of a native ``convert``; only the
types Spark lacks are widened without loss (:mod:`pyforge_databricks.arrow_spark`). Each table
is written by ``saveAsTable`` in the session's default table format: Delta on Databricks, the
``spark.sql.sources.default`` of the session elsewhere (Parquet for open-source Spark); the
report names the format of each table as the catalog records it.

The structure comes from ``pyforge_core.info`` (``pyforge info --json``): table and column
descriptions become ``COMMENT ON TABLE`` and ``ALTER TABLE ... ALTER COLUMN ... COMMENT``;
the primary key, the required columns and the relationships Access enforces become ``SET NOT
NULL``, ``PRIMARY KEY`` and ``FOREIGN KEY`` constraints, the same ones ``pyforge schema
--dialect databricks`` writes. Unity Catalog has such (informational) key constraints; a
catalog without them (open-source Spark's session catalog, the Hive metastore) refuses the
first one, and every constraint is then reported as skipped with the catalog's answer.
Nothing is dropped silently: every comment and constraint is in the report with its status.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterable

from pyforge_core import OutputExistsError, PyForgeCore, TableNotFoundError, UsageError

MODES = ("error", "overwrite")


def quote(name: str) -> str:
    """A Spark SQL identifier: backticks, a backtick inside doubled."""
    return "`" + name.replace("`", "``") + "`"


def literal(text: str) -> str:
    """A Spark SQL string literal (Spark reads backslash escapes inside literals)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def split_prefix(prefix: str) -> tuple[list[str], str]:
    """``(namespace parts, name prefix)`` of a ``table_prefix``: ``"main.raw."`` is the schema
    ``main.raw`` and no name prefix, ``"main.raw.shop_"`` the same schema with tables named
    ``shop_<table>``, ``""`` the session's current schema. Parts may be backtick-quoted
    (``"main.`raw data`."``)."""
    parts: list[str] = []
    current: list[str] = []
    i, quoted = 0, False
    while i < len(prefix):
        c = prefix[i]
        if quoted:
            if c == "`" and prefix[i + 1 : i + 2] == "`":
                current.append("`")
                i += 1
            elif c == "`":
                quoted = False
            else:
                current.append(c)
        elif c == "`":
            quoted = True
        elif c == ".":
            part = "".join(current)
            if not part:
                raise UsageError(f"table_prefix {prefix!r}: an empty name before a '.'")
            parts.append(part)
            current = []
        else:
            current.append(c)
        i += 1
    if quoted:
        raise UsageError(f"table_prefix {prefix!r}: a backtick is not closed")
    return parts, "".join(current)


def _first_line(error: BaseException) -> str:
    """Spark's message in one line, without its advice and SQLSTATE suffix."""
    text = str(error).strip()
    line = text.splitlines()[0].strip() if text else ""
    return re.sub(r"\s*(Please check |SQLSTATE: ).*$", "", line) or type(error).__name__


def _condition(error: BaseException) -> str:
    """The Spark error class (``PARSE_SYNTAX_ERROR``, ``UNSUPPORTED_FEATURE...``), or ""."""
    for getter in ("getCondition", "getErrorClass"):
        f = getattr(error, getter, None)
        if f is not None:
            try:
                value = f()
            except Exception:  # pragma: no cover - depends on the pyspark version
                value = None
            if value:
                return str(value)
    return ""


def _unsupported(error: BaseException) -> bool:
    """Whether ``error`` says the catalog has no such statement at all (rather than that this
    one constraint is wrong): a syntax error or an unsupported feature or operation."""
    condition = _condition(error)
    if condition.startswith(("PARSE_SYNTAX_ERROR", "UNSUPPORTED_", "NOT_SUPPORTED", "_LEGACY_ERROR")):
        return True
    text = str(error).lower()
    return "not supported" in text or "unsupported" in text or "syntax error" in text


def executor_path(path: str) -> str:
    """The input as the executors read it (the data source opens it there): a local or mounted
    file. ``dbfs:/Volumes/...`` is read at ``/Volumes/...`` where that is mounted."""
    if path.startswith("dbfs:/Volumes/") and os.path.exists(path[len("dbfs:") :]):
        path = path[len("dbfs:") :]
    if "://" in path or path.startswith("dbfs:") or (path.startswith("/Volumes/") and not os.path.exists(path)):
        raise UsageError(
            f"{path}: table_prefix reads the database inside Spark tasks, so it must be a file the "
            "executors can open: a /Volumes/... path on Databricks compute (mounted there) or a local file"
        )
    return path


def _wanted_tables(info: dict, tables: Iterable[str] | None) -> list[dict]:
    listed = info["tables"]
    if tables is None:
        return listed
    if isinstance(tables, str):
        tables = [tables]
    by_name = {t["name"]: t for t in listed}
    out = []
    for name in tables:
        if name not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            raise TableNotFoundError(f"{info.get('path')}: no table {name!r} (tables: {known})")
        out.append(by_name[name])
    return out


class _Constraints:
    """Runs the constraint statements in order. When the catalog refuses the first constraint
    of a kind (NOT NULL, PRIMARY KEY, FOREIGN KEY) as a statement it does not have (a syntax
    error, an unsupported feature or operation), it has no constraints of that kind: that one
    and all later ones of the kind are reported as skipped with Spark's answer, untried."""

    def __init__(self, spark: Any):
        self.spark = spark
        self.unsupported: dict[str, str] = {}
        self.entries: list[dict] = []

    def add(self, entry: dict, statements: list[str], reason_not_added: str | None = None) -> dict:
        kind = entry["kind"]
        entry = dict(entry, sql=statements, status="added", reason=None)
        if kind in self.unsupported or reason_not_added:
            entry.update(status="skipped", reason=self.unsupported.get(kind) or reason_not_added)
        else:
            for sql in statements:
                try:
                    self.spark.sql(sql)
                except Exception as e:  # AnalysisException, ParseException: classic or Connect
                    if _unsupported(e) and not any(c["kind"] == kind and c["status"] == "added" for c in self.entries):
                        self.unsupported[kind] = (
                            f"the catalog has no {_KIND_SQL[kind]} constraints (Unity Catalog has them); "
                            f"Spark answered: {_first_line(e)}"
                        )
                        entry.update(status="skipped", reason=self.unsupported[kind])
                    else:
                        entry.update(status="failed", reason=_first_line(e))
                    break
        self.entries.append(entry)
        return entry


_KIND_SQL = {"not_null": "NOT NULL", "primary_key": "PRIMARY KEY", "foreign_key": "FOREIGN KEY"}


def _provider(spark: Any, target: str) -> str | None:
    """The table format the catalog records (``delta``, ``parquet``...)."""
    for row in spark.sql(f"DESCRIBE TABLE EXTENDED {target}").collect():
        if (row[0] or "").strip() == "Provider":
            return (row[1] or "").strip().lower() or None
    return None


def _table_exists(spark: Any, target: str) -> bool:
    return bool(spark.catalog.tableExists(target))


def write_tables(
    spark: Any,
    core: PyForgeCore,
    input_path: str | os.PathLike,
    table_prefix: str,
    *,
    mode: str = "error",
    tables: Iterable[str] | None = None,
    read_options: dict | None = None,
) -> dict:
    """See ``PyForgeDatabricks.convert`` with ``table_prefix``; returns the report."""
    from .strategy import _read_in_spark

    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(repr(m) for m in MODES)}, not {mode!r}")
    if not isinstance(table_prefix, str):
        raise UsageError(f"table_prefix must be a string such as 'main.raw.', not {table_prefix!r}")
    namespace, name_prefix = split_prefix(table_prefix)
    if spark is None:
        raise UsageError("table_prefix needs a SparkSession: PyForgeDatabricks(spark=spark)")
    read_options = dict(read_options or {})
    path = os.fspath(input_path)
    info = core.info(path, **read_options)
    chosen = _wanted_tables(info, tables)
    details = info.get("details") or {}

    def target_of(name: str) -> str:
        return ".".join(quote(p) for p in [*namespace, name_prefix + name])

    targets = {t["name"]: target_of(t["name"]) for t in chosen}
    where = executor_path(path) if chosen else path
    # Refused before anything is written: every table that exists, named at once.
    if mode == "error":
        existing = [target for target in targets.values() if _table_exists(spark, target)]
        if existing:
            raise OutputExistsError(
                f"{', '.join(existing)}: table{'s' if len(existing) > 1 else ''} already exist"
                f"{'' if len(existing) > 1 else 's'} (pass mode=\"overwrite\" to replace "
                f"{'them' if len(existing) > 1 else 'it'})"
            )

    created: list[dict] = []
    comments: list[dict] = []
    for t in chosen:
        name = t["name"]
        target = targets[name]
        df = _read_in_spark(spark, where, name, read_options)
        # "error" (not "errorifexists"): the spelling Spark Connect accepts too.
        df.write.mode(mode).saveAsTable(target)
        rows = spark.table(target).count()
        created.append(
            {"name": name, "table": target, "rows": rows, "columns": len(df.columns), "format": _provider(spark, target)}
        )
        comments.extend(_comment(spark, target, t.get("details") or {}))

    runner = _Constraints(spark)
    not_added: set[str] = set()  # tables whose primary key was not added
    for entry, statements, reason in _key_constraints(chosen, targets, details):
        # A foreign key needs the primary key it references; where the catalog has no primary
        # keys at all, it is still tried, so the report tells whether it has foreign keys.
        referenced = entry["references"]["table"] if entry["references"] else None
        if not reason and referenced in not_added and "primary_key" not in runner.unsupported:
            reason = "the primary key it references was not added"
        done = runner.add(entry, statements, reason)
        if done["kind"] == "primary_key" and done["status"] != "added":
            not_added.add(done["table"])

    return {
        "input": path,
        "format": info.get("format"),
        "table_prefix": table_prefix,
        "mode": mode,
        "tables": created,
        "rows": sum(t["rows"] for t in created),
        "comments": comments,
        "constraints": runner.entries,
    }


def _comment(spark: Any, target: str, details: dict) -> list[dict]:
    """Apply the table's and its columns' descriptions as comments; one report entry each."""
    todo: list[tuple[str | None, str, str]] = []
    if details.get("description"):
        text = details["description"]
        todo.append((None, text, f"COMMENT ON TABLE {target} IS {literal(text)}"))
    for column, props in (details.get("column_properties") or {}).items():
        text = props.get("description") if isinstance(props, dict) else None
        if text:
            todo.append((column, text, f"ALTER TABLE {target} ALTER COLUMN {quote(column)} COMMENT {literal(text)}"))
    out = []
    for column, text, sql in todo:
        entry = {"table": target, "column": column, "comment": text, "sql": sql, "status": "applied", "reason": None}
        try:
            spark.sql(sql)
        except Exception as e:  # reported, not raised: the table and its rows are there
            entry.update(status="failed", reason=_first_line(e))
        out.append(entry)
    return out


def _key_constraints(chosen: list[dict], targets: dict, details: dict) -> list[tuple[dict, list[str], str | None]]:
    """``(entry, statements, reason not to add it)`` for the constraints of the tables written,
    in the order they can be added: per table NOT NULL (primary key, required and AutoNumber
    columns, as ``pyforge schema`` declares them) then PRIMARY KEY; then the FOREIGN KEYs,
    which reference primary keys."""
    out: list[tuple[dict, list[str], str | None]] = []
    primary: dict[str, list[str]] = {}
    for t in chosen:
        target = targets[t["name"]]
        d = t.get("details") or {}
        pk = list(d.get("primary_key") or [])
        props = d.get("column_properties") or {}
        for c in t["columns"]:
            p = props.get(c["name"]) if isinstance(props.get(c["name"]), dict) else {}
            if c["name"] in pk or p.get("required") or p.get("auto_number"):
                entry = {"table": target, "kind": "not_null", "name": None, "columns": [c["name"]], "references": None}
                out.append((entry, [f"ALTER TABLE {target} ALTER COLUMN {quote(c['name'])} SET NOT NULL"], None))
        if pk:
            primary[t["name"]] = pk
            name = f"{target_name(target)}_pk"
            entry = {"table": target, "kind": "primary_key", "name": name, "columns": pk, "references": None}
            cols = ", ".join(quote(c) for c in pk)
            out.append((entry, [f"ALTER TABLE {target} ADD CONSTRAINT {quote(name)} PRIMARY KEY ({cols})"], None))
    for r in details.get("relationships") or []:
        child, parent = r.get("table"), r.get("referenced_table")
        if child not in targets or parent not in targets:
            continue  # a relationship of a system table, or of a table not written
        cols, ref_cols = list(r.get("columns") or []), list(r.get("referenced_columns") or [])
        name = r.get("name") or f"{target_name(targets[child])}_fk"
        entry = {
            "table": targets[child],
            "kind": "foreign_key",
            "name": name,
            "columns": cols,
            "references": {"table": targets[parent], "columns": ref_cols},
        }
        reason = None
        if not r.get("enforced", True):
            reason = "Access does not enforce this relationship (no referential integrity)"
        elif sorted(primary.get(parent, [])) != sorted(ref_cols):
            reason = "a foreign key must reference the primary key, and this references other columns"
        sql = (
            f"ALTER TABLE {targets[child]} ADD CONSTRAINT {quote(name)} "
            f"FOREIGN KEY ({', '.join(quote(c) for c in cols)}) "
            f"REFERENCES {targets[parent]} ({', '.join(quote(c) for c in ref_cols)})"
        )
        out.append((entry, [sql], reason))
    return out


def target_name(target: str) -> str:
    """The table's own name (last part) of a quoted multi-part name."""
    return split_prefix(target + ".")[0][-1]
