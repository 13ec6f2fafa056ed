"""The shared helpers in salesnb.core: one contract each, tested at its edges."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from salesnb.core import cache, columns, export, files, fmt, periods, plots, sql
from salesnb.errors import ColumnError, MappingError, PeriodError, SalesnbError

# --------------------------------------------------------------------------- sql


@pytest.mark.parametrize("name", ['plain', 'with "quotes"', "O'Brien", "a;b --", "日期"])
def test_quote_ident_round_trips_any_name(name):
    con = duckdb.connect()
    got = con.execute(f"SELECT 1 AS {sql.quote_ident(name)}").fetch_df()
    assert list(got.columns) == [name]


@pytest.mark.parametrize("value", ["O'Brien", "'; DROP TABLE t; --", "", "line\nbreak", "日期"])
def test_quote_literal_escapes_text(value):
    con = duckdb.connect()
    assert con.execute(f"SELECT {sql.quote_literal(value)}").fetchone()[0] == value


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (True, True), (3, 3), (2.5, 2.5), (np.int64(7), 7),
    (dt.date(2025, 12, 31), dt.date(2025, 12, 31)),
    (pd.Timestamp("2025-12-31 13:45:00"), dt.datetime(2025, 12, 31, 13, 45)),
])
def test_quote_literal_keeps_types(value, expected):
    con = duckdb.connect()
    assert con.execute(f"SELECT {sql.quote_literal(value)}").fetchone()[0] == expected


def test_quote_literal_refuses_non_finite_numbers():
    with pytest.raises(ValueError, match="finite"):
        sql.quote_literal(float("nan"))


# --------------------------------------------------------------------------- columns


def test_require_columns_names_missing_and_present_columns():
    frame = pd.DataFrame({"InvoiceNo": [1], "Amount": [2.0]})
    with pytest.raises(ColumnError) as err:
        columns.require_columns(frame, ["InvoiceNo", "customer_id", None], table="orders")
    assert err.value.missing == ["'customer_id'"]
    assert "InvoiceNo, Amount" in str(err.value) and "Fix:" in str(err.value)
    assert isinstance(err.value, SalesnbError)


def test_require_columns_mapping_form_says_which_argument():
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ColumnError, match=r"customer='CustomerID'"):
        columns.require_columns(frame, {"customer": "CustomerID", "date": None}, table="orders",
                                fix="pass customer=")
    columns.require_columns(frame, {"x": "a", "y": None}, table="orders")  # passes


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(("text", "expected"), [
    ("2025", pd.Period("2025", "Y")), ("2025Q4", pd.Period("2025Q4", "Q")),
    ("2025-Q4", pd.Period("2025Q4", "Q")), ("2025q1", pd.Period("2025Q1", "Q")),
    ("2025-12", pd.Period("2025-12", "M")), ("2025-3", pd.Period("2025-03", "M")),
    (" 2025-12 ", pd.Period("2025-12", "M")),
])
def test_parse_period_reads_every_form(text, expected):
    assert periods.parse_period(text) == expected


@pytest.mark.parametrize("text", ["", "Q4", "2025-13", "2025Q5", "last year", None, "2025-12-01"])
def test_parse_period_refuses_with_the_forms(text):
    with pytest.raises(PeriodError, match=r"2025-12.*2025Q4.*2025"):
        periods.parse_period(text)


def test_parse_period_with_freq_converts():
    assert periods.parse_period("2025-12", freq="Q") == pd.Period("2025Q4", "Q")


def test_parse_day_and_as_of():
    assert periods.parse_day("2025-12-31") == dt.date(2025, 12, 31)
    assert periods.parse_day(pd.Timestamp("2025-12-31 18:00")) == dt.date(2025, 12, 31)
    assert periods.parse_day("") is None and periods.parse_day(None) is None
    assert periods.parse_day(pd.NaT) is None
    assert periods.parse_as_of("") == dt.date.today()
    with pytest.raises(PeriodError, match="as_of='31/12'"):
        periods.parse_as_of("31/12")


def test_parse_window_pairs_and_periods():
    lo, hi = periods.parse_window(("2025-01-01", "2025-03-31"))
    assert (lo, hi) == (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-04-01"))
    assert periods.parse_window("2025Q1") == (lo, hi)
    assert periods.window_label("2025Q1") == "2025-01-01 – 2025-03-31"
    with pytest.raises(PeriodError, match="before"):
        periods.parse_window(("2025-02-01", "2025-01-01"), name="base")
    with pytest.raises(PeriodError, match="base="):
        periods.parse_window(("2025-02-01",), name="base")


# --------------------------------------------------------------------------- fmt


def test_pct_takes_fractions():
    assert fmt.pct(0.152) == "15 %"
    assert fmt.pct(0.152, digits=1) == "15.2 %"
    assert fmt.pct(0.05, signed=True) == "+5 %"
    assert fmt.pct(-0.05, signed=True) == "-5 %"
    assert fmt.pct(float("nan")) == "–" and fmt.pct(None) == "–"


def test_money_and_number():
    assert fmt.money(1_234_567) == "$1.2 M"  # the report's currency: USD unless set
    assert fmt.money(35_400) == "$35 k"
    assert fmt.money(940.4) == "$940"
    assert fmt.money(-2_500_000) == "-$2.5 M"
    assert fmt.compact(-2_500_000) == "-2.5 M"
    assert fmt.number(12345.678) == "12,345.7"
    assert fmt.money(None) == "–"


# --------------------------------------------------------------------------- export


def test_sheet_names_are_safe_and_unique():
    names = export.sheet_names(["a/b", "A/B", "x" * 40, "", "[q]:*?"])
    assert names[0] == "a_b" and names[1] == "A_B (2)"
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)
    assert names[3] == "sheet" and not any(c in names[4] for c in "[]:*?/\\")


def test_write_table_neutralises_formulas_keeps_numbers(tmp_path):
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)",
                                   "\tx", "plain"],
                          "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    path = export.write_table({"all": frame, "a/b": frame.head(1)}, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["all", "a_b"]
    rows = list(book["all"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows][:4] == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2", "'@SUM(A1)"]
    assert rows[5][0] == "plain"
    assert [r[1] for r in rows][0] == -5.0  # numbers stay numbers (negative too)
    assert all(cell.data_type != "f" for row in book["all"].iter_rows() for cell in row)
    csv = export.write_table(frame, tmp_path / "out.csv")
    back = pd.read_csv(csv)
    assert back["name"].tolist()[0].startswith("'=") and back["amount"].tolist()[0] == -5.0


def test_write_table_refuses_other_formats(tmp_path):
    with pytest.raises(SalesnbError, match=r"\.xlsx or \.csv"):
        export.write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.json")
    with pytest.raises(SalesnbError, match="one table"):
        export.write_table({"a": pd.DataFrame(), "b": pd.DataFrame()}, tmp_path / "x.csv")


# --------------------------------------------------------------------------- cache


def test_memoize_hands_out_copies():
    calls = []

    @cache.memoize(maxsize=2)
    def table(n: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        calls.append(n)
        return pd.DataFrame({"x": range(n)}), {"a": np.arange(n)}

    frame, arrays = table(3)
    frame.loc[0, "x"] = 99
    arrays["a"][0] = 99
    again, arrays2 = table(3)
    assert again.loc[0, "x"] == 0 and arrays2["a"][0] == 0
    assert calls == [3]
    assert table.cache_info().hits == 1
    table.cache_clear()
    table(3)
    assert calls == [3, 3]


# --------------------------------------------------------------------------- files


def test_yaml_keeps_yes_no_as_text_and_refuses_tags(tmp_path):
    assert files.parse_yaml("a: yes\nb: true\nc: 2025-12") == {"a": "yes", "b": True,
                                                                "c": "2025-12"}
    with pytest.raises(MappingError, match=r"m.yaml: not valid YAML \(line 1"):
        files.parse_yaml("!!python/object:os.system {}", origin="m.yaml", error=MappingError)
    with pytest.raises(SalesnbError, match="cannot be read"):
        files.read_yaml(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------- plots


def test_axes_uses_current_axes_and_say_blanks_them():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plots.axes(None) is ax
    other = fig.add_subplot(2, 1, 2)
    assert plots.axes(other) is other
    assert plots.say(ax, "nothing") is ax and not ax.axison
    assert fig.get_figheight() == pytest.approx(0.5)
