"""The team's PostgreSQL database as a source (issue 18), on a real server started here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import psycopg
import pytest
from conftest import AS_OF, tiny_tables, write_tables
from pgserver import PASSWORD

import salesnb as sn
from salesnb.data import postgres as pg
from salesnb.errors import SourceError


def _schema_url(server, schema: str) -> str:
    return f"{server.url}?schema={schema}"


def test_redact_drops_the_password_only():
    url = "postgresql://sales:p%40ss@db.example:5433/crm?schema=s1&sslpassword=x"
    assert pg.redact(url) == "postgresql://sales@db.example:5433/crm?schema=s1"
    assert pg.is_url(url) and pg.is_url("postgres://h/db") and not pg.is_url("data")


def test_a_copied_folder_loads_from_postgresql_as_from_the_folder(postgres, tmp_path):
    tables = tiny_tables()
    tables["orders"].loc[1, "quantity"] = "-3"  # a row for the quarantine
    folder = write_tables(tables, tmp_path / "src")
    url = _schema_url(postgres, "copy1")
    written = pg.copy(folder, url)
    local = sn.load(folder, as_of=AS_OF)
    assert written["orders"] == len(local.orders) and written["quarantine"] >= 1
    remote = sn.load(url, as_of=AS_OF)
    for name, frame in local.tables.items():
        pd.testing.assert_frame_equal(remote.tables[name].reset_index(drop=True),
                                      frame.reset_index(drop=True), check_dtype=False,
                                      obj=name)
    assert PASSWORD not in remote.source and "copy1" in remote.source
    with psycopg.connect(postgres.url) as con:
        stored = con.execute('SELECT "table", "row", "column", "rule" FROM copy1.quarantine '
                             'ORDER BY 1, 2, 3, 4').fetchall()
    expected = local.report.quarantine[["table", "row", "column", "rule"]].astype(str)
    assert [tuple(map(str, r)) for r in stored] == sorted(map(tuple, expected.to_numpy()))
    assert any(t == "orders" and c == "quantity" for t, _, c, _ in stored)


def test_validation_quarantines_bad_rows_read_from_postgresql(postgres, tmp_path):
    folder = write_tables(tiny_tables(), tmp_path / "src")
    url = _schema_url(postgres, "raw1")
    pg.copy(folder, url)
    with psycopg.connect(postgres.url, autocommit=True) as con:
        con.execute("ALTER TABLE raw1.orders ALTER COLUMN order_date TYPE text")
        con.execute("UPDATE raw1.orders SET order_date = 'not a date' "
                    "WHERE ctid = (SELECT min(ctid) FROM raw1.orders)")
    report = sn.validate(url, as_of=AS_OF)
    orders = report.counts.set_index("table").loc["orders"]
    assert orders.rows_read == orders.rows_loaded + orders.rows_quarantined
    assert orders.rows_quarantined == 1
    bad = report.quarantine[report.quarantine["table"] == "orders"]
    with psycopg.connect(postgres.url) as con:  # the row number: its place in stored order
        dates = [r[0] for r in con.execute("SELECT order_date FROM raw1.orders "
                                           "ORDER BY ctid").fetchall()]
    assert bad["column"].tolist() == ["order_date"]
    assert bad["row"].tolist() == [dates.index("not a date") + 1]


def test_a_failed_copy_leaves_the_schema_as_it_was(postgres, tmp_path, monkeypatch):
    folder = write_tables(tiny_tables(), tmp_path / "src")
    url = _schema_url(postgres, "keep1")
    first = pg.copy(folder, url)
    real = pg._write

    def failing(con, schema, name, frame):
        if name == "quarantine":
            con.execute("SELECT 1/0")
        real(con, schema, name, frame)

    monkeypatch.setattr(pg, "_write", failing)
    with pytest.raises(SourceError, match="the schema 'keep1' is as it was"):
        pg.copy(folder, url)
    monkeypatch.setattr(pg, "_write", real)
    with psycopg.connect(postgres.url) as con:
        n = con.execute("SELECT count(*) FROM keep1.orders").fetchone()[0]
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM "
                                              "information_schema.schemata").fetchall()}
    assert n == first["orders"] and "keep1__salesnb_copy" not in schemas
    assert pg.copy(folder, url) == first  # and copying again gives the same


def test_a_wrong_password_is_a_clear_error_that_never_shows_it(postgres):
    wrong = postgres.url.replace(PASSWORD, "Wr0ng-Secret-99")
    with pytest.raises(SourceError) as caught:
        sn.load(wrong)
    text = str(caught.value)
    assert "Wr0ng-Secret-99" not in text and PASSWORD not in text
    assert "cannot connect" in text and "password" in text


def test_the_password_can_come_from_the_environment(postgres, tmp_path, monkeypatch):
    folder = write_tables(tiny_tables(), tmp_path / "src")
    pg.copy(folder, _schema_url(postgres, "env1"))
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    d = sn.load(postgres.url_without_password() + "?schema=env1", tables=["reps"], as_of=AS_OF)
    assert len(d.reps) == len(tiny_tables()["reps"])


def test_the_cli_copies_and_validates_without_showing_the_password(postgres, tmp_path):
    folder = write_tables(tiny_tables(), tmp_path / "src")
    url = _schema_url(postgres, "cli1")
    exe = [sys.executable, "-m", "salesnb.cli"]
    done = subprocess.run([*exe, "copy", str(folder), url], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    checked = subprocess.run([*exe, "validate", url, "--as-of", str(AS_OF)],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for out in (done, checked):
        assert PASSWORD not in out.stdout + out.stderr
    assert "cli1" in checked.stdout and "orders" in done.stdout


@pytest.mark.parametrize("command", [["run", "02_sales_forecast", "--source"],
                                     ["app", "--scope", "company", "--source"],
                                     ["scopes", "--source"]])
def test_a_database_that_cannot_be_reached_is_a_clear_error_without_the_password(command):
    url = "postgresql://sales:Top-Secret-7@127.0.0.1:1/crm"
    done = subprocess.run([sys.executable, "-m", "salesnb.cli", *command, url],
                          capture_output=True, text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "Top-Secret-7" not in out
    assert "postgresql://sales@127.0.0.1:1/crm: cannot connect" in out
    assert "Traceback" not in out


def _figures(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return manifest, {n["name"]: (n["status"], n["as_of"], n["figures"])
                      for n in manifest["notebooks"]}


def test_a_run_on_the_copied_sample_gives_the_folder_runs_figures(postgres, tmp_path):
    from conftest import ROOT

    url = _schema_url(postgres, "runs")
    exe = [sys.executable, "-m", "salesnb.cli"]
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    copied = subprocess.run([*exe, "copy", str(ROOT / "data"), url], capture_output=True,
                            text=True, timeout=300, env=env)
    assert copied.returncode == 0, copied.stderr
    runs = {}
    for name, source in (("folder", str(ROOT / "data")), ("database", url)):
        done = subprocess.run([*exe, "run", "--all", "--source", source, "--jobs", "2", "-q",
                               "--out", str(tmp_path / name)], capture_output=True, text=True,
                              timeout=900, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert PASSWORD not in done.stdout + done.stderr
        runs[name] = _figures((tmp_path / name / "latest").resolve())
    (_, folder), (db_manifest, database) = runs["folder"], runs["database"]
    assert database == folder and len(folder) == 6
    assert all(status == "ok" and figures["rows"]["orders"] > 0
               for status, _, figures in folder.values())
    assert db_manifest["source"]["path"] == pg.redact(url)
    assert db_manifest["source"]["rows"] == sum(folder["00_data_quality"][2]["rows"].values())
    written = [p for p in (tmp_path / "database").rglob("*") if p.is_file()]
    assert written and not [p for p in written if PASSWORD.encode() in p.read_bytes()]


def test_the_embedded_sample_copied_to_postgresql_gives_the_same_tables_and_series(postgres):
    from conftest import ROOT

    from salesnb.forecast.series import sales_series_sql

    url = _schema_url(postgres, "sample")
    written = pg.copy(ROOT / "data", url)
    folder, remote = sn.load(ROOT / "data"), sn.load(url)
    assert written == {**{t: len(f) for t, f in folder.tables.items()}, "quarantine": 0}
    for name, frame in folder.tables.items():  # the same rows (in any order)
        cols = list(frame.columns)
        pd.testing.assert_frame_equal(
            remote.tables[name].sort_values(cols, ignore_index=True),
            frame.sort_values(cols, ignore_index=True), check_dtype=False, obj=name)
    for by in (None, "region", "category"):
        pd.testing.assert_frame_equal(sales_series_sql(url, by=by),
                                      sales_series_sql(ROOT / "data", by=by), rtol=1e-9)
