"""Bad input, class by class, through ``salesnb validate``: every case is held to the same bar.

Each case builds a small source folder in ``tmp_path`` from the tiny dataset of ``conftest``
(only the tables it needs, so a case takes a fraction of a second), runs
``salesnb validate DIR`` in-process (``salesnb.cli.main``) and asserts:

- the exit code: 0 clean, 1 rows quarantined, 2 a table (or the mapping) unusable;
- the output names the file and the line (``orders.csv row 3``) or column, and says what to do
  (the case's ``says`` fragments; an unusable table always prints ``Fix:``);
- rows are conserved: for every table, read == loaded + quarantined, and the quarantine holds
  exactly the quarantined rows;
- no raw traceback ("Traceback (most recent call last)") appears;
- it finished in under :data:`LIMIT_S` seconds (a bound on the work, not a benchmark).

A few cases also run as a real subprocess, to check exit codes and output outside pytest.
"""

from __future__ import annotations

import gzip
import io
import random
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import AS_OF, tiny_tables, write_tables

from salesnb.cli import main
from salesnb.data import loader
from salesnb.data.loader import ValidationReport

#: Seconds a case may take, generous for a loaded machine.
LIMIT_S = 10.0
ORD = ("reps", "products", "customers", "orders")
TRACEBACK = "Traceback (most recent call last)"

Build = Callable[[Path], Any]
Check = Callable[[ValidationReport, Path], None]


@dataclass(frozen=True)
class Case:
    """One class of bad input: how to build it, the exit code, what the output must say."""

    name: str
    build: Build
    code: int
    says: tuple[str, ...] = ()
    check: Check | None = None


# ----------------------------------------------------------------------------- builders
def tables(*names: str, edits: tuple[tuple[str, int, str, str], ...] = (), fmt: str = "csv",
           encoding: str = "utf-8", change: Callable[[dict[str, pd.DataFrame]], None] | None
           = None, mapping: dict[str, Any] | None = None) -> Build:
    """Write the named tiny tables (all nine when none), after cell edits and a change."""
    def build(folder: Path) -> dict[str, Any] | None:
        t = tiny_tables()
        for table, idx, col, value in edits:
            t[table].loc[idx, col] = value
        if change:
            change(t)
        write_tables({n: t[n] for n in (names or tuple(t))}, folder, fmt, encoding)
        return mapping
    return build


def cell(table: str, idx: int, col: str, value: str, *, also: tuple[str, ...] = ORD,
         fmt: str = "csv", mapping: dict[str, Any] | None = None) -> Build:
    """One bad cell in ``table`` (line ``idx + 2`` of a CSV file)."""
    names = tuple(dict.fromkeys((*also, table)))
    return tables(*names, edits=((table, idx, col, value),), fmt=fmt, mapping=mapping)


def raw(table: str, content: bytes | str | Callable[[bytes], bytes], *,
        also: tuple[str, ...] = (), name: str | None = None,
        mapping: dict[str, Any] | None = None) -> Build:
    """Write ``table``'s file by hand (bytes, text, or a change of the tiny table's CSV)."""
    def build(folder: Path) -> dict[str, Any] | None:
        t = tiny_tables()
        write_tables({n: t[n] for n in also}, folder)
        if callable(content):
            data = content(t[table].to_csv(index=False).encode())
        else:
            data = content.encode() if isinstance(content, str) else content
        (folder / (name or f"{table}.csv")).write_bytes(data)
        return mapping
    return build


def then(build: Build, step: Callable[[Path], Any]) -> Build:
    """``build``, then ``step`` on the folder (its return value, if any, is the mapping)."""
    def both(folder: Path) -> Any:
        mapping = build(folder)
        out = step(folder)
        return out if isinstance(out, (dict, Path)) else mapping
    return both


def lines(data: bytes, index: int, new: bytes | None = None, *, insert: bytes | None = None
          ) -> bytes:
    """Replace (or insert before) line ``index`` (0 = header) of CSV bytes."""
    rows = data.split(b"\n")
    if insert is not None:
        rows.insert(index, insert)
    if new is not None:
        rows[index] = new
    return b"\n".join(rows)


def real_floats(table: str, col: str, values: list[float], *, also: tuple[str, ...] = ORD
                ) -> Build:
    """A Parquet ``table`` whose ``col`` is a DOUBLE column holding ``values`` (NaN not null)."""
    def build(folder: Path) -> None:
        t = tiny_tables()
        write_tables({n: t[n] for n in also if n != table}, folder)
        frame = pa.Table.from_pandas(t[table], preserve_index=False)
        arr = pa.array(values, type=pa.float64(), from_pandas=False)
        pq.write_table(frame.set_column(frame.schema.get_field_index(col), col, arr),
                       folder / f"{table}.parquet")
    return build


def excel(sheets: dict[str, tuple[pd.DataFrame, int]], *, table: str = "products",
          also: tuple[str, ...] = (), title: str | None = None,
          mapping: dict[str, Any] | None = None) -> Build:
    """An Excel workbook for ``table``: sheet name -> (frame, start row), an optional title."""
    def build(folder: Path) -> dict[str, Any] | None:
        t = tiny_tables()
        write_tables({n: t[n] for n in also}, folder)
        with pd.ExcelWriter(folder / f"{table}.xlsx") as xl:
            for name, (frame, start) in sheets.items():
                frame.to_excel(xl, sheet_name=name, index=False, startrow=start)
                if title:
                    xl.sheets[name]["A1"] = title
        return mapping
    return build


def _products(**changes: list[str]) -> pd.DataFrame:
    return tiny_tables()["products"].assign(**changes)


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def _garbage(nul: bool) -> bytes:
    rng = random.Random(14)
    data = bytes(rng.randrange(0 if nul else 128, 256) for _ in range(20_000))
    return data if nul else data.replace(b"\x85", b"\n")


def _cycle(*pairs: tuple[int, str]) -> Build:
    def change(t: dict[str, pd.DataFrame]) -> None:
        extra = pd.DataFrame({"rep_id": ["R5", "R6", "R7"], "name": ["E", "F", "G"],
                              "role": ["rep"] * 3, "manager_id": ["R2"] * 3,
                              "region": ["North"] * 3, "hire_date": ["2022-01-01"] * 3})
        t["reps"] = pd.concat([t["reps"], extra], ignore_index=True)
        for idx, manager in pairs:
            t["reps"].loc[idx, "manager_id"] = manager
    return tables("reps", change=change)


def _big_orders(t: dict[str, pd.DataFrame]) -> None:
    n = 3000
    t["orders"] = pd.DataFrame({
        "order_id": [f"O{i}" for i in range(n)], "line_no": "1", "order_date": "2024-05-01",
        "customer_id": "C1", "product_id": "P1", "rep_id": "R3", "region": "North",
        "quantity": [("-1", "x", "NaN", "2")[i % 4] for i in range(n)], "unit_price": "10",
        "discount": "0", "revenue": ""})


def _symlink_out(folder: Path) -> dict[str, Any]:
    secret = folder.parent / "secret.csv"
    secret.write_text("order_id,TOP-SECRET\n", encoding="utf-8")
    (folder / "link.csv").symlink_to(secret)
    return {"tables": {"orders": {"file": "link.csv"}}}


def _outside(name: str) -> Callable[[Path], dict[str, Any]]:
    def step(folder: Path) -> dict[str, Any]:
        (folder.parent / "secret.csv").write_text("order_id,TOP-SECRET\n", encoding="utf-8")
        target = str(folder.parent / "secret.csv") if name == "absolute" else name
        return {"tables": {"orders": {"file": target}}}
    return step


def _mapping_text(text: str) -> Callable[[Path], Path]:
    def step(folder: Path) -> Path:
        path = folder.parent / "mapping.yaml"
        path.write_text(text, encoding="utf-8")
        return path
    return step


def _value(table: str, col: str, expected: list[Any]) -> Check:
    """A check that ``table.col`` loads as ``expected`` (read again with ``load``)."""
    def check(report: ValidationReport, folder: Path) -> None:
        import salesnb as sn

        mapping = folder.parent / "mapping.yaml"
        d = sn.load(folder, mapping if mapping.exists() else None, as_of=AS_OF,
                    tables=list(report.counts["table"]))
        assert [None if pd.isna(v) else v for v in d[table][col]] == expected
    return check


def _read(table: str, n: int) -> Check:
    def check(report: ValidationReport, folder: Path) -> None:
        assert report.counts.set_index("table").loc[table, "rows_read"] == n
    return check


def _note(fragment: str) -> Check:
    def check(report: ValidationReport, folder: Path) -> None:
        assert any(fragment in n for notes in report.notes.values() for n in notes), \
            report.notes
    return check


def _encoding(table: str, fragment: str) -> Check:
    def check(report: ValidationReport, folder: Path) -> None:
        assert fragment in report.counts.set_index("table").loc[table, "encoding"]
    return check


P = tiny_tables()["products"]
PCSV = P.to_csv(index=False).encode()
HEAD = PCSV.split(b"\n")[0]

# ----------------------------------------------------------------------------- the cases
CASES: list[Case] = [
    # --- non-numbers and numbers that are not what they seem
    *[Case(f"not_finite_{v}", cell("orders", 1, "quantity", v), 1,
           ("orders.csv row 3: quantity=", "not a finite number"))
      for v in ("NaN", "nan", "inf", "-inf", "Infinity", "1e400")],
    Case("not_finite_negative_overflow", cell("orders", 2, "unit_price", "-1e400"), 1,
         ("orders.csv row 4: unit_price='-1e400'", "not a finite number")),
    Case("not_finite_in_a_whole_number", cell("orders", 0, "line_no", "1e400"), 1,
         ("orders.csv row 2: line_no=", "not a finite number")),
    Case("not_finite_score", cell("surveys", 0, "score", "inf", also=("reps", "customers")),
         1, ("surveys.csv row 2: score='inf'", "not a finite number")),
    Case("parquet_real_nan", real_floats("orders", "quantity", [3, float("nan"), 2, 10]), 1,
         ("orders.parquet row 2: quantity=", "not a finite number")),
    Case("parquet_real_inf", real_floats("orders", "unit_price",
                                         [10, 25.5, float("inf"), 9.5]), 1,
         ("orders.parquet row 3: unit_price=", "not a finite number")),
    Case("parquet_text_inf", cell("orders", 1, "quantity", "inf", fmt="parquet"), 1,
         ("orders.parquet row 2: quantity='inf'",)),
    Case("excel_text_nan", cell("orders", 1, "quantity", "NaN", fmt="xlsx"), 1,
         ("orders.xlsx row 3: quantity='NaN'", "not a finite number")),
    Case("excel_text_infinity", cell("orders", 2, "discount", "Infinity", fmt="xlsx"), 1,
         ("orders.xlsx row 4: discount=",)),
    Case("huge_number", cell("orders", 1, "quantity", "1e20"), 1,
         ("orders.csv row 3: quantity='1e20'", "larger than 1e+15")),
    Case("hex_number", cell("orders", 0, "line_no", "0x10"), 1,
         ("orders.csv row 2: line_no='0x10'", "not a whole number")),
    Case("underscore_number", cell("orders", 1, "quantity", "1_000"), 1,
         ("orders.csv row 3: quantity='1_000'", "not a number")),
    Case("word_for_number", cell("orders", 1, "quantity", "three"), 1,
         ("orders.csv row 3: quantity='three'", "not a number")),
    Case("padded_number", cell("orders", 0, "quantity", "  3 "), 0, ("result: clean",)),
    Case("plus_sign", cell("orders", 0, "quantity", "+3"), 0, ("result: clean",)),
    Case("thousands_separator", cell("orders", 2, "unit_price", "1,000.50"), 1,
         ("orders.csv row 4: unit_price='1,000.50'", "thousands separators")),
    Case("decimal_comma_suggested",
         raw("products", _products(list_price=["10,0", "25,5", "1.000,00"]).to_csv(
             index=False, sep=";")), 1,
         ("products.csv row 2: list_price='10,0'", 'set decimal: ","'),
         _note("decimal: ','")),
    Case("decimal_comma_setting",
         raw("products", _products(list_price=["10,0", "25,5", "1.000,00"]).to_csv(
             index=False, sep=";"), mapping={"tables": {"products": {"decimal": ","}}}), 0,
         ("result: clean",), _value("products", "list_price", [10.0, 25.5, 1000.0])),
    Case("decimal_comma_top_level",
         raw("products", _products(list_price=["10", "25,5", "100"]).to_csv(
             index=False, sep=";"), mapping={"decimal": ",", "delimiter": ";"}), 0,
         ("result: clean",), _value("products", "list_price", [10.0, 25.5, 100.0])),
    Case("decimal_dot_with_comma_setting",
         raw("products", _products(list_price=["10", "25.5", "100"]).to_csv(
             index=False, sep=";"), mapping={"tables": {"products": {"decimal": ","}}}), 1,
         ("products.csv row 3: list_price='25.5'", "decimal: ',' is set")),
    Case("negative_quantity", cell("orders", 0, "quantity", "-1"), 1,
         ("orders.csv row 2: quantity='-1'", "must be >= 0")),
    Case("discount_over_one", cell("orders", 2, "discount", "1.5"), 1,
         ("orders.csv row 4: discount='1.5'", "must be <= 1")),
    Case("na_text_without_mapping", cell("leads", 0, "budget", "NA", also=("reps",)), 1,
         ("leads.csv row 2: budget='NA'", "not a number")),
    Case("na_text_with_mapping", cell("leads", 0, "budget", "NA", also=("reps",),
                                      mapping={"na_values": ["NA"]}), 0, ("result: clean",)),
    Case("revenue_mismatch", cell("orders", 1, "revenue", "99.99"), 1,
         ("orders.csv row 3: revenue='99.99'", "quantity x unit_price")),
    # --- dates
    Case("impossible_date", cell("orders", 1, "order_date", "31/02/2024"), 1,
         ("orders.csv row 3: order_date='31/02/2024'", "date_formats")),
    Case("ancient_date", cell("orders", 1, "order_date", "1800-01-01"), 1,
         ("orders.csv row 3: order_date='1800-01-01'", "not a date")),
    Case("future_date", cell("orders", 3, "order_date", "2030-01-01"), 1,
         ("orders.csv row 5: order_date='2030-01-01'", "after the as-of date")),
    Case("date_with_time", cell("orders", 0, "order_date", "2024-01-10 12:30:00"), 0,
         ("result: clean",)),
    Case("date_format_mapping", cell("reps", 1, "hire_date", "01.02.2020", also=(),
                                     mapping={"date_formats": ["%d.%m.%Y"]}), 0,
         ("result: clean",)),
    Case("dates_out_of_order", cell("leads", 1, "outcome_date", "2024-01-01", also=("reps",)),
         1, ("leads.csv row 3: outcome_date=", "is before created_date")),
    # --- text, codes, required values
    Case("empty_required", cell("orders", 0, "customer_id", ""), 1,
         ("orders.csv row 2: customer_id=<empty>", "customer_id is empty")),
    Case("spaces_only", cell("orders", 0, "customer_id", "   "), 1,
         ("orders.csv row 2: customer_id=<empty>",)),
    Case("tab_only", cell("orders", 0, "customer_id", " \t "), 1,
         ("orders.csv row 2: customer_id='\\t'", "not found")),
    Case("unknown_code", cell("leads", 1, "status", "won", also=("reps",)), 1,
         ("leads.csv row 3: status='won'", "recode with 'values:'")),
    Case("code_in_other_case", cell("leads", 0, "status", "Converted", also=("reps",)), 1,
         ("leads.csv row 2: status='Converted'", "must be one of open, converted, lost")),
    Case("recoded_codes", cell("leads", 0, "status", "Yes", also=("reps",), mapping={
        "tables": {"leads": {"values": {"status": {"yes": "converted"}}}}}), 0,
        ("result: clean",)),
    Case("control_characters", cell("products", 0, "name", "Wid\x07get\x1b", also=()), 0,
         ("result: clean",)),
    Case("long_text_value", cell("products", 0, "name", "x" * 500_000, also=()), 0,
         ("result: clean",)),
    Case("formula_text", cell("customers", 0, "name", '=HYPERLINK("http://x","y")',
                              also=("reps",)), 0, ("result: clean",)),
    # --- keys and references
    Case("duplicate_id", cell("customers", 2, "customer_id", "C1", also=("reps",)), 1,
         ("customers.csv row 4: customer_id='C1'", "repeats an earlier row")),
    Case("duplicate_row", tables("products", change=lambda t: t.update(
        products=pd.concat([t["products"], t["products"].iloc[[0]]]))), 1,
         ("products.csv row 5: product_id='P1'",)),
    Case("dangling_reference", cell("orders", 3, "customer_id", "C404"), 1,
         ("orders.csv row 5: customer_id='C404'", "not found in customers.customer_id")),
    Case("fullwidth_digit_id", cell("orders", 3, "customer_id", "C\uff13"), 1,
         ("orders.csv row 5: customer_id='C３'", "not found")),
    Case("zero_width_space_id", cell("orders", 3, "customer_id", "C\u200b3"), 1,
         ("orders.csv row 5: customer_id=", "not found")),
    Case("lower_case_id", cell("orders", 3, "customer_id", "c3"), 1,
         ("orders.csv row 5: customer_id='c3'",)),
    Case("no_break_space_is_trimmed", cell("orders", 3, "customer_id", "C3\u00a0"), 0,
         ("result: clean",)),
    Case("unicode_ids", tables(*ORD, change=lambda t: t.update(
        customers=t["customers"].replace({"customer_id": {"C1": "客户一"}}),
        orders=t["orders"].replace({"customer_id": {"C1": "客户一"}}))), 0,
         ("result: clean",)),
    Case("ids_that_look_numeric", cell("products", 0, "product_id", "007", also=()), 0,
         ("result: clean",), _value("products", "product_id", ["007", "P2", "P3"])),
    Case("rep_managing_themselves", cell("reps", 1, "manager_id", "R2", also=()), 1,
         ("reps.csv row 3: manager_id='R2'", "R2 is their own manager")),
    Case("manager_cycle_of_two", _cycle((4, "R6"), (5, "R5")), 1,
         ("reps.csv row 6: manager_id='R6'", "manager cycle: R5 -> R6 -> R5")),
    Case("manager_cycle_of_three", _cycle((4, "R6"), (5, "R7"), (6, "R5")), 1,
         ("reps.csv row 8: manager_id='R5'", "R5 -> R6 -> R7 -> R5")),
    Case("referenced_table_absent", tables("orders"), 0,
         ("skipped check on orders", "customers not loaded")),
    Case("many_rows_many_problems", tables(*ORD, change=_big_orders), 1,
         ("orders.csv row 2: quantity='-1'", "orders.csv row 4: quantity='NaN'"),
         _read("orders", 3000)),
    # --- the file's shape
    Case("empty_file", raw("products", b""), 2, ("products.csv", "the file is empty", "Fix:")),
    Case("header_only", raw("products", HEAD + b"\n"), 2,
         ("products.csv", "the table is empty", "no data rows", "Fix:")),
    Case("blank_lines_only", raw("products", b"\n\n\r\n\n"), 2,
         ("products.csv", "no header", "Fix:")),
    Case("byte_order_mark", raw("products", b"\xef\xbb\xbf" + PCSV), 0, ("result: clean",),
         _read("products", 3)),
    Case("crlf_lines", raw("products", PCSV.replace(b"\n", b"\r\n")), 0, ("result: clean",)),
    Case("cr_only_lines", raw("products", PCSV.replace(b"\n", b"\r")), 0, ("result: clean",),
         _read("products", 3)),
    Case("no_final_newline", raw("products", PCSV.rstrip(b"\n")), 0, ("result: clean",)),
    Case("trailing_blank_lines", raw("products", PCSV + b"\n\n\n"), 0, ("result: clean",),
         _read("products", 3)),
    Case("blank_lines_inside", raw("products", lambda b: lines(
        lines(b, 2, insert=b""), 4, b"P3,Gizmo,software,x,30")), 1,
         ("products.csv row 5: list_price='x'",), _read("products", 3)),
    Case("leading_blank_lines", raw("products", b"\n\n" + PCSV.replace(b"25.5", b"y")), 1,
         ("products.csv row 5: list_price='y'",)),
    Case("semicolons", raw("products", P.to_csv(index=False, sep=";")), 0, ("result: clean",)),
    Case("tsv_file", raw("products", P.to_csv(index=False, sep="\t"), name="products.tsv"), 0,
         ("result: clean",)),
    Case("tabs_in_csv", raw("products", P.to_csv(index=False, sep="\t")), 0, ("result: clean",)),
    Case("pipes", raw("products", P.to_csv(index=False, sep="|")), 0, ("result: clean",)),
    Case("mixed_separators", raw("products", lambda b: lines(b, 2, b"P2;Gadget;tools;25.5;12")),
         1, ("products.csv row 3: category=<empty>",)),
    Case("extra_field", raw("products", lambda b: lines(b, 1, b"P1,Widget,tools,10.0,4,oops")),
         1, ("products.csv row 2: (extra fields)=", "'oops'", "nothing was cut off")),
    Case("trailing_empty_fields", raw("products", b"\n".join(
        [HEAD] + [r + b",," for r in PCSV.split(b"\n")[1:] if r]) + b"\n"), 0,
         ("result: clean",)),
    Case("short_row", raw("products", lambda b: lines(b, 2, b"P2,Gadget")), 1,
         ("products.csv row 3: category=<empty>",)),
    Case("quoted_line_break", raw("products", lambda b: lines(lines(
        b, 1, b'P1,"Wid\nget",tools,10.0,4'), 4, b"P3,Gizmo,software,z,30")), 1,
         ("products.csv row 5: list_price='z'",), _read("products", 3)),
    Case("unclosed_quote", raw("products", lambda b: lines(b, 2, b'P2,"Gadget,tools,25.5,12')),
         2, ("products.csv", "line 3", "never closed", "Fix:")),
    Case("stray_quote", raw("products", lambda b: lines(b, 2, b'P2,"Gad"get,tools,25.5,12')), 1,
         ("products.csv row 3: (quoting)=", "not doubled")),
    Case("quote_inside_unquoted_value",
         raw("products", lambda b: lines(b, 2, b'P2,Gad"get,tools,25.5,12')), 0,
         ("result: clean",), _value("products", "name", ["Widget", 'Gad"get', "Gizmo"])),
    Case("repeated_header", raw("products", lambda b: lines(
        b, 0, b"product_id,name,category,list_price,list_price")), 2,
         ("products.csv", "columns 4 (D) and 5 (E) are both named 'list_price'", "Fix:")),
    Case("header_names_that_collide", raw("products", lambda b: lines(
        b, 0, b"product_id,name,category,list_price,List Price")), 2,
         ("products.csv", "both become 'list_price'", "Fix:")),
    Case("loose_header_names", raw("products", lambda b: lines(
        b, 0, b"Product ID,NAME,Category, List-Price ,unit cost")), 0, ("result: clean",)),
    Case("missing_required_column", raw("products", P.drop(columns="category").to_csv(
        index=False)), 2, ("products.csv", "required column(s) missing: category", "Fix:")),
    Case("title_row", raw("products", b"Product list 2024\n" + PCSV), 2,
         ("products.csv", "line 1: 'Product list 2024'", "header_row: 2")),
    Case("title_row_with_header_row", raw("products", b"Product list 2024\n\n" + PCSV.replace(
        b"25.5", b"w"), mapping={"tables": {"products": {"header_row": 3}}}), 1,
         ("products.csv row 5: list_price='w'",)),
    Case("header_row_beyond_the_file", raw("products", PCSV, mapping={"header_row": 40}), 2,
         ("products.csv", "header_row is 40", "Fix:")),
    Case("wide_but_allowed", tables("products", change=lambda t: t.update(products=pd.concat(
        [t["products"], pd.DataFrame({f"x{i}": ["1"] * 3 for i in range(1500)})], axis=1))),
         0, ("result: clean",)),
    Case("too_many_columns", raw("products", b",".join(b"c%d" % i for i in range(2500))
                                 + b"\n1\n"), 2,
         ("products.csv", "line 1", "2,000 columns", "Fix:")),
    Case("binary_with_nul_bytes", raw("products", _garbage(nul=True)), 2,
         ("products.csv", "NUL bytes", "Fix:")),
    Case("binary_without_nul_bytes", raw("products", _garbage(nul=False)), 2,
         ("products.csv", "Fix:")),
    Case("zip_named_csv", raw("products", _zip_bytes()), 2,
         ("products.csv", "zip archive", "Fix: rename it to .xlsx")),
    Case("gzip_named_csv", raw("products", gzip.compress(PCSV)), 2,
         ("products.csv", "gzip-compressed", "Fix:")),
    Case("pdf_named_csv", raw("products", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), 2,
         ("products.csv", "PDF", "Fix:")),
    Case("ctrl_z_at_the_end", raw("products", PCSV + b"\x1a"), 1,
         ("products.csv row 5: category=<empty>",)),
    Case("header_of_131k_fields", raw("products", b",".join(b"c%d" % i for i in range(131_072))
                                      + b"\n1,2\n"), 2,
         ("products.csv", "line 1", "131,072 fields", "Fix:")),
    Case("row_of_131k_fields", raw("products", PCSV + b",".join([b"x"] * 131_072) + b"\n"), 1,
         ('products.csv row 5: (extra fields)="131072 fields',)),
    Case("line_of_2mb", raw("products", PCSV + b"P9,x," + b"y" * (2 << 20) + b"\n"), 2,
         ("products.csv", "line 5 is longer than 1 MB", "Fix:")),
    Case("single_line_of_20mb", raw("products", b"z" * (20 << 20)), 2,
         ("products.csv", "line 1 is longer than 1 MB", "Fix:")),
    Case("quoted_field_of_30mb", raw("products", PCSV + b'P9,"' + b"ab\n" * (10 << 20)
                                     + b'",tools,1\n'), 2,
         ("products.csv", "line 5", "longer than 1 MB", "Fix:")),
    Case("unquoted_field_of_30mb_on_line_5", raw("products", PCSV + b"P9,w,tools,1,"
                                                 + b"v" * (30 << 20) + b"\n"), 2,
         ("products.csv", "line 5 is longer than 1 MB", "Fix:")),
    Case("two_files_for_one_table", then(tables("products"), lambda f: (
        f / "products.parquet").write_bytes(b"PAR1")), 2, ("several files", "Fix:")),
    Case("no_table_files", raw("products", b"x", name="notes.txt"), 2,
         ("no salesnb table", "Fix:")),
    # --- encodings
    Case("latin1", tables("reps", "customers", encoding="latin-1", edits=(
        ("customers", 0, "city", "Zürich"),)), 0, ("result: clean", "cp1252"),
         _value("customers", "city", ["Zürich", None, None])),
    Case("cp1252_euro_sign", tables("products", encoding="cp1252", edits=(
        ("products", 0, "name", "Widget 10€ – café"),)), 0, ("result: clean",),
         _value("products", "name", ["Widget 10€ – café", "Gadget", "Gizmo"])),
    Case("gbk", tables("reps", "customers", encoding="gbk", edits=(
        ("customers", 0, "name", "上海机械有限公司"), ("customers", 1, "city", "北京市"))), 0,
         ("result: clean", "gb18030"),
         _value("customers", "name", ["上海机械有限公司", "Beta GmbH", "Gamma SA"])),
    Case("big5", tables("reps", "customers", encoding="big5", edits=(
        ("customers", 0, "name", "台北機械股份有限公司"),)), 0, ("result: clean", "big5")),
    Case("shift_jis", tables("reps", "customers", encoding="shift_jis", edits=(
        ("customers", 0, "name", "株式会社テスト東京"),)), 0, ("result: clean",),
         _value("customers", "name", ["株式会社テスト東京", "Beta GmbH", "Gamma SA"])),
    Case("utf16_with_bom", raw("products", P.to_csv(index=False, sep="\t").encode("utf-16"),
                               name="products.txt"), 0, ("result: clean", "utf-16")),
    Case("encoding_from_mapping", tables("reps", "customers", encoding="latin-1", edits=(
        ("customers", 0, "city", "Genève"),), mapping={"encoding": "latin-1"}), 0,
         ("result: clean", "(mapping)"), _value("customers", "city", ["Genève", None, None])),
    Case("wrong_encoding_in_mapping", tables("customers", encoding="latin-1", edits=(
        ("customers", 1, "city", "Genève"),), mapping={"encoding": "utf-8"}), 2,
         ("customers.csv", "line 3 is not valid UTF-8", "Fix:", "encoding:")),
    Case("unknown_encoding_name", tables("customers", mapping={"encoding": "klingon"}), 2,
         ("unknown encoding 'klingon'", "utf-8, cp1252")),
    Case("unsure_encoding", tables("customers", encoding="gbk", edits=(
        ("customers", 0, "city", "华北"),)), 0, ("result: clean", "unsure"),
         _note("set it in a mapping")),
    Case("mixed_encodings", raw("customers", "customer_id,region,city\nC1,North,Zürich\n"
                                .encode() + "C2,North,Köln\n".encode("latin-1")), 2,
         ("customers.csv", "line 3 is not valid UTF-8 but other lines are", "Fix:")),
    # --- Excel
    Case("excel_second_sheet", excel({"Cover": (pd.DataFrame({"About": ["ERP"]}), 0),
                                      "Data": (P, 0)}), 2,
         ("products.xlsx", "'Cover' (row 1: 'About')", "set sheet: 'Data'")),
    Case("excel_sheet_from_mapping", excel({"Cover": (pd.DataFrame({"About": ["ERP"]}), 0),
                                            "Data": (P, 0)},
                                           mapping={"tables": {"products": {"sheet": "data"}}}),
         0, ("result: clean",)),
    Case("excel_title_row", excel({"Data": (P, 2)}, title="Product list"), 2,
         ("products.xlsx", "(row 1: 'Product list')", "set header_row: 3")),
    Case("excel_repeated_header", excel({"Data": (P.rename(columns={"unit_cost": "name"}), 0)}),
         2, ("products.xlsx", "columns 2 (B) and 5 (E) are both named 'name'", "Fix:")),
    Case("excel_value_right_of_header", then(excel({"Data": (P, 0)}), lambda f: _poke(
        f / "products.xlsx", "G3", "stray")), 1,
         ("products.xlsx row 3: (extra fields)=", "G='stray'")),
    Case("excel_blank_rows_inside", then(excel({"Data": (P.assign(list_price=[
        "10", "25.5", "bad"]), 0)}), lambda f: _poke(f / "products.xlsx", None, None)), 1,
         ("products.xlsx row 6: list_price='bad'",), _read("products", 3)),
    Case("excel_header_only", excel({"Data": (P.iloc[:0], 0)}), 2,
         ("products.xlsx", "the table is empty", "Fix:")),
    Case("excel_corrupt", raw("products", b"PK\x03\x04 not really a zip", name="products.xlsx"),
         2, ("products.xlsx", "cannot be read as Excel", "Fix:")),
    Case("excel_missing_sheet", excel({"Data": (P, 0)}, mapping={"tables": {"products": {
        "sheet": "Orders"}}}), 2, ("products.xlsx", "sheet 'Orders' does not exist", "Fix:")),
    # --- mappings
    Case("mapping_unknown_target", tables("orders", mapping={"tables": {"orders": {
        "columns": {"discount": "disc"}}}}), 2,
         ("'discount: disc'", "orders columns are: order_id")),
    Case("mapping_file_dotdot", then(tables("products"), _outside("../secret.csv")), 2,
         ("outside the source folder",)),
    Case("mapping_file_absolute", then(tables("products"), _outside("absolute")), 2,
         ("outside the source folder",)),
    Case("mapping_file_symlink", then(tables("products"), _symlink_out), 2,
         ("outside the source folder",)),
    Case("mapping_unknown_table", tables("orders", mapping={"tables": {"order": {}}}), 2,
         ("unknown table(s) ['order']",)),
    Case("mapping_invalid_yaml", then(tables("orders"), _mapping_text("tables: [unclosed")), 2,
         ("not valid YAML",)),
    Case("mapping_object_tag", then(tables("orders"), _mapping_text(
        "tables: !!python/object/apply:os.system ['echo hi']")), 2, ("not valid YAML",)),
    Case("mapping_header_row_zero", tables("orders", mapping={"header_row": 0}), 2,
         ("header_row: expected",)),
    Case("mapping_bad_delimiter", tables("orders", mapping={"delimiter": ";;"}), 2,
         ("delimiter: expected one character",)),
    # --- Parquet
    Case("parquet_broken", raw("products", b"PAR1 not really parquet PAR1",
                               name="products.parquet"), 2,
         ("products.parquet", "cannot be read", "Fix:")),
    Case("parquet_typed_columns", real_floats("orders", "quantity", [3, 1, 2, 10]), 0,
         ("result: clean",)),
]


def _poke(path: Path, ref: str | None, value: Any) -> None:
    """Set a cell of the first sheet (or, with ``ref=None``, insert two blank rows at row 3)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    if ref is None:
        ws.insert_rows(3, 2)
    else:
        ws[ref] = value
    wb.save(path)


def test_there_are_at_least_80_classes():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 80


def _run(folder: Path, mapping: Any, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, ValidationReport | None, float]:
    args = ["validate", str(folder), "--as-of", AS_OF.isoformat()]
    if isinstance(mapping, dict):
        path = folder.parent / "mapping.yaml"
        path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
        mapping = path
    if mapping is not None:
        args += ["--mapping", str(mapping)]
    seen: dict[str, ValidationReport] = {}
    real = loader.validate

    def spy(*a: Any, **k: Any) -> ValidationReport:
        seen["report"] = real(*a, **k)
        return seen["report"]

    monkeypatch.setattr(loader, "validate", spy)
    start = time.perf_counter()
    code = main(args)
    elapsed = time.perf_counter() - start
    out = capsys.readouterr()
    return code, out.out + out.err, seen.get("report"), elapsed


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "src"
    folder.mkdir()
    mapping = case.build(folder)
    code, text, report, elapsed = _run(folder, mapping, capsys, monkeypatch)
    assert TRACEBACK not in text
    assert code == case.code, text
    for fragment in case.says:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    if code == 2 and report is not None and report.errors:
        assert "Fix:" in text
    assert elapsed < LIMIT_S, f"took {elapsed:.1f} s"
    if report is None:  # the mapping or the folder was refused before any table was read
        assert code == 2 and "error:" in text
        return
    for rec in report.counts.itertuples():
        assert rec.rows_read == rec.rows_loaded + rec.rows_quarantined, rec
        rows = report.quarantine.loc[report.quarantine["table"] == rec.table, "row"]
        assert rows.nunique() == rec.rows_quarantined, rec
    assert report.exit_code == code
    if case.check:
        case.check(report, folder)


SUBPROCESS = ["not_finite_NaN", "unclosed_quote", "latin1", "single_line_of_20mb",
              "mapping_file_dotdot"]


@pytest.mark.parametrize("name", SUBPROCESS)
def test_bad_input_in_a_real_process(name, tmp_path):
    case = next(c for c in CASES if c.name == name)
    folder = tmp_path / "src"
    folder.mkdir()
    mapping = case.build(folder)
    args = [sys.executable, "-m", "salesnb.cli", "validate", str(folder), "--as-of",
            AS_OF.isoformat()]
    if mapping is not None:
        path = tmp_path / "mapping.yaml"
        path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
        args += ["--mapping", str(path)]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert time.perf_counter() - start < LIMIT_S + 10  # the interpreter starts too
    text = done.stdout + done.stderr
    assert done.returncode == case.code, text
    assert TRACEBACK not in text
    for fragment in case.says:
        assert fragment in text
    assert "TOP-SECRET" not in text
