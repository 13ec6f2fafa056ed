"""The ``salesnb`` command line: exit codes and messages."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import AS_OF

from salesnb.cli import main


def test_validate_clean_exits_0(tiny, write, capsys):
    assert main(["validate", str(write(tiny)), "--as-of", str(AS_OF)]) == 0
    out = capsys.readouterr().out
    assert "result: clean" in out and "orders" in out


def test_validate_counts_rows_left_out_after_a_past_as_of_day(tiny, write, capsys):
    orders = pd.to_datetime(tiny["orders"]["order_date"])
    cut = orders.sort_values().iloc[len(orders) // 2].date()  # about half the orders after it
    after = int((orders.dt.date > cut).sum())
    assert main(["validate", str(write(tiny)), "--as-of", str(cut)]) == 0  # not faults
    out = capsys.readouterr().out
    assert f"{after:,} orders row{'s' if after != 1 else ''}" in out
    assert "left out: after the as-of day)" in out


def test_validate_quarantine_exits_1_and_writes_csv(tiny, write, tmp_path, capsys):
    tiny["orders"].loc[0, "discount"] = "2"
    qfile = tmp_path / "q.csv"
    code = main(["validate", str(write(tiny)), "--as-of", str(AS_OF), "--quarantine", str(qfile)])
    assert code == 1
    out = capsys.readouterr().out
    assert "orders.csv row 2: discount='2.0'" in out or "orders.csv row 2: discount='2'" in out
    q = pd.read_csv(qfile)
    assert {"range", "revenue"} == set(q["rule"])
    assert set(q["row"]) == {2}


def test_validate_unusable_table_exits_2(tiny, write, capsys):
    tiny["orders"] = tiny["orders"].drop(columns=["order_date"])
    assert main(["validate", str(write(tiny)), "--as-of", str(AS_OF)]) == 2
    captured = capsys.readouterr()
    assert "order_date" in captured.err and "orders.csv" in captured.err
    assert "Traceback" not in captured.err


def test_missing_source_is_one_line_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and len(err.strip().splitlines()) == 1


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "salesnb.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "sample" in out and "validate" in out


def test_as_of_must_be_a_day(tiny, write, capsys):
    with pytest.raises(SystemExit) as err:
        main(["validate", str(write(tiny)), "--as-of", "2025-13-01"])
    assert err.value.code == 2
    assert "date='2025-13-01' is not a day; write it like 2025-12-31" in capsys.readouterr().err


def test_validate_prints_the_notes_on_how_to_fix(tiny, tmp_path, capsys):
    src = tmp_path / "dec"
    src.mkdir()
    tiny["products"].assign(list_price=["1.234,56", "25,5", "0,99"]).to_csv(
        src / "products.csv", sep=";", index=False)
    assert main(["validate", str(src), "--as-of", str(AS_OF)]) == 1
    out = capsys.readouterr().out
    assert "note on products:" in out and "decimal: ','" in out


def test_an_unexpected_error_is_one_line_without_traceback_or_password(monkeypatch, capsys):
    from salesnb import cli

    def broken(_args):
        raise RuntimeError("lost postgresql://sales:Top-Secret-7@db/crm\nsecond line")

    monkeypatch.setattr(cli, "_cmd_list", broken)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    assert cli.main(["list"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: lost postgresql://sales@db/crm" in err
    assert "Top-Secret-7" not in err and "second line" not in err and "Traceback" not in err
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(RuntimeError):
        cli.main(["list"])
