"""Tests of the synthetic sales data generator (salesnb.generate)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from salesnb.data.sample import COLUMNS, END, START, TABLE_NAMES, generate, write_sample
from salesnb.data.schema import TABLES

SMALL = 0.05  # file round-trips
MEDIUM = 0.25  # invariants and realism (about 35k order lines, well under a second)
END_TS = pd.Timestamp(END)

# Keys and references come from the data model, so the generator is held to what loading checks.
KEYS = {name: list(spec.key) for name, spec in TABLES.items()}
FOREIGN_KEYS = [(name, fk.column, fk.ref_table, fk.ref_column)
                for name, spec in TABLES.items() for fk in spec.foreign_keys]
FUNNEL = ["visit_date", "needs_date", "quote_date", "negotiation_date", "contract_date"]


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return generate(seed=7, scale=MEDIUM)


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("csv")
    return out, write_sample(out, seed=11, scale=SMALL)


def _read_csv(path: Path, table: str) -> pd.DataFrame:
    kinds = dict(COLUMNS[table])
    dates = [c for c, k in kinds.items() if k == "date"]
    dtypes = {c: "str" for c, k in kinds.items() if k == "str"}
    return pd.read_csv(path, dtype=dtypes, parse_dates=dates, keep_default_na=False,
                       na_values=[""])


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------- determinism and files


def test_same_seed_gives_identical_files(tmp_path: Path, small_csv) -> None:
    first, _ = small_csv
    write_sample(tmp_path, seed=11, scale=SMALL)
    a, b = _files(first), _files(tmp_path)
    assert sorted(a) == sorted(f"{t}.csv" for t in TABLE_NAMES)
    for name in a:
        assert a[name] == b[name], name


def test_same_seed_gives_identical_parquet(tmp_path: Path) -> None:
    write_sample(tmp_path / "a", seed=3, scale=SMALL, fmt="parquet")
    write_sample(tmp_path / "b", seed=3, scale=SMALL, fmt="parquet")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_chunking_does_not_change_files(tmp_path: Path, small_csv,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import salesnb.data.synth.world as world

    monkeypatch.setattr(world, "CHUNK_ROWS", 37)  # many slices per table
    first, _ = small_csv
    write_sample(tmp_path, seed=11, scale=SMALL)
    assert _files(first) == _files(tmp_path)


def test_different_seed_gives_different_data(tmp_path: Path, small_csv) -> None:
    first, _ = small_csv
    write_sample(tmp_path, seed=12, scale=SMALL)
    a, b = _files(first), _files(tmp_path)
    for table in ("customers", "orders", "leads", "opportunities", "surveys", "targets"):
        assert a[f"{table}.csv"] != b[f"{table}.csv"], table


def test_csv_format(small_csv) -> None:
    folder, counts = small_csv
    for table in TABLE_NAMES:
        raw = (folder / f"{table}.csv").read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw
        lines = raw.split(b"\n")
        assert lines[-1] == b""  # ends with a newline
        assert lines[0].decode() == ",".join(c for c, _ in COLUMNS[table])
        assert len(lines) - 2 == counts[table]
    head = (folder / "orders.csv").read_text().splitlines()[1].split(",")
    assert len(head[2]) == 10 and head[2][4] == "-"  # ISO order_date
    assert not head[0].isdigit()  # ids are text, no index column


def test_generate_equals_written_csv(small_csv) -> None:
    folder, counts = small_csv
    tables = generate(seed=11, scale=SMALL)
    assert list(tables) == list(TABLE_NAMES)
    for table in TABLE_NAMES:
        expected = tables[table]
        assert len(expected) == counts[table]
        assert list(expected.columns) == [c for c, _ in COLUMNS[table]]
        got = _read_csv(folder / f"{table}.csv", table)
        for col, kind in COLUMNS[table]:
            if kind == "date":
                got[col] = got[col].astype(expected[col].dtype)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=table)


def test_parquet_matches_csv(tmp_path: Path, small_csv) -> None:
    folder, counts = small_csv
    pq_counts = write_sample(tmp_path, seed=11, scale=SMALL, fmt="parquet")
    assert pq_counts == counts
    for table in TABLE_NAMES:
        t = pq.read_table(tmp_path / f"{table}.parquet")
        assert t.num_rows == counts[table]
        assert t.column_names == [c for c, _ in COLUMNS[table]]
    orders = pq.read_table(tmp_path / "orders.parquet").to_pandas()
    csv_orders = _read_csv(folder / "orders.csv", "orders")
    assert orders["revenue"].sum() == pytest.approx(csv_orders["revenue"].sum())
    assert (orders["order_id"] == csv_orders["order_id"]).all()
    schema = pq.read_schema(tmp_path / "orders.parquet")
    assert str(schema.field("order_date").type) == "date32[day]"
    leads = pq.read_table(tmp_path / "leads.parquet")
    assert leads.column("customer_id").null_count > 0  # empty values are nulls


def test_columns_match_package_schema() -> None:
    for table in TABLE_NAMES:
        spec = TABLES[table]
        # every column but the optional ones a real export brings (orders.profit)
        assert [c for c, _ in COLUMNS[table]] == [
            c for c in spec.column_names if (table, c) != ("orders", "profit")], table
        for col, kind in COLUMNS[table]:
            want = spec.column(col).dtype
            assert kind == want or (kind == "int" and want == "float"), (table, col)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(scale=0)
    with pytest.raises(ValueError):
        write_sample(tmp_path, scale=SMALL, fmt="xlsx")  # type: ignore[arg-type]


# --------------------------------------------------------------------- integrity


def test_keys_unique(data) -> None:
    for table, key in KEYS.items():
        assert not data[table].duplicated(key).any(), table
        assert data[table][key].notna().all().all(), table


def test_foreign_keys_resolve(data) -> None:
    for table, col, ref, ref_col in FOREIGN_KEYS:
        values = data[table][col].dropna()
        assert values.isin(set(data[ref][ref_col])).all(), f"{table}.{col}"
    assert data["leads"]["customer_id"].notna().sum() > 0
    assert data["opportunities"]["lead_id"].notna().sum() > 0


def test_required_values_present(data) -> None:
    optional = {
        "reps": {"manager_id", "region"},
        "leads": {"assigned_rep_id", "outcome_date", "customer_id"},
        "opportunities": {"lead_id", *FUNNEL, "closed_date", "lost_reason"},
    }
    for table, df in data.items():
        for col in df.columns:
            if col not in optional.get(table, set()):
                assert df[col].notna().all(), f"{table}.{col}"


def test_no_date_after_end(data) -> None:
    for table, df in data.items():
        for col, kind in COLUMNS[table]:
            if kind == "date":
                assert (df[col].dropna() <= END_TS).all(), f"{table}.{col}"
    assert data["orders"]["order_date"].min() >= pd.Timestamp(START)


def test_orders_consistent(data) -> None:
    o, c, p = data["orders"], data["customers"], data["products"]
    expected = np.round(o["quantity"] * o["unit_price"] * (1 - o["discount"]), 2)
    assert np.array_equal(o["revenue"].to_numpy(), expected.to_numpy())
    assert (o["quantity"] > 0).all() and o["quantity"].dtype.kind == "i"
    assert o["discount"].between(0, 0.5).all()
    signup = o["customer_id"].map(c.set_index("customer_id")["signup_date"])
    launch = o["product_id"].map(p.set_index("product_id")["launch_date"])
    assert (o["order_date"] > signup).all()
    assert (o["order_date"] >= launch).all()
    assert (o["region"] == o["customer_id"].map(c.set_index("customer_id")["region"])).all()
    line_no = o.groupby("order_id").cumcount() + 1
    assert (o["line_no"] == line_no).all()
    assert not o.duplicated(["order_id", "product_id"]).any()
    assert len(set(data["orders"]["product_id"])) > 30


def test_reference_tables(data) -> None:
    r, c, p = data["reps"], data["customers"], data["products"]
    assert r["role"].value_counts().to_dict() == {"rep": 30, "manager": 5, "director": 1}
    assert r.loc[r["role"] == "director", "manager_id"].isna().all()
    managers = r[r["role"] == "manager"].set_index("region")["rep_id"]
    reps = r[r["role"] == "rep"]
    assert (reps["manager_id"] == reps["region"].map(managers)).all()
    assert (reps.groupby("region").size() == 6).all()
    assert set(r["status"]) == {"active", "on_leave", "left"}
    assert (p["unit_cost"] < p["list_price"]).all() and (p["unit_cost"] > 0).all()
    assert set(p["tier"]) == {"budget", "standard", "premium"} and p["category"].nunique() == 6
    assert (p["launch_date"] >= pd.Timestamp(START)).sum() >= 3
    owner_region = c["owner_rep_id"].map(r.set_index("rep_id")["region"])
    assert (owner_region == c["region"]).all()
    assert not c["owner_rep_id"].isin(r.loc[r["status"] == "left", "rep_id"]).any()
    assert set(c["credit_rating"]) == set("ABCD")
    assert set(c["size"]) == {"small", "medium", "large", "enterprise"}


def test_leads_consistent(data) -> None:
    leads, c = data["leads"], data["customers"]
    is_open = leads["status"] == "open"
    assert (leads["outcome_date"].isna() == is_open).all()
    assert (leads["outcome_date"].dropna() >= leads["created_date"][~is_open]).all()
    assert (leads["customer_id"].notna() == (leads["status"] == "converted")).all()
    assert leads["needs_score"].between(1, 5).all()
    assert (leads[["website_visits", "email_opens", "events_attended"]] >= 0).all().all()
    assert (leads["last_activity_date"] >= leads["created_date"]).all()
    closed = leads[~is_open]
    assert (closed["last_activity_date"] <= closed["outcome_date"]).all()
    assert leads.loc[~is_open, "assigned_rep_id"].notna().all()
    # open leads are the most recent ones
    assert leads.loc[is_open, "created_date"].quantile(0.05) > leads["created_date"].quantile(0.8)
    # a converted lead's customer signed up on the outcome date in the lead's region
    conv = leads[leads["status"] == "converted"].set_index("customer_id")
    cc = c.set_index("customer_id").loc[conv.index]
    assert (cc["signup_date"] == conv["outcome_date"]).all()
    assert (cc["region"] == conv["region"]).all()


def test_opportunities_consistent(data) -> None:
    op = data["opportunities"]
    stages = ["visit", "needs", "quote", "negotiation", "contract"]
    closed = op["stage"].isin(["won", "lost"])
    assert (op["closed_date"].notna() == closed).all()
    assert (op["lost_reason"].notna() == (op["stage"] == "lost")).all()
    assert set(op["lost_reason"].dropna()) <= {"price", "competitor", "timing", "no_budget",
                                               "no_decision"}
    assert (op["amount"] > 0).all()
    assert (op["visit_date"] >= op["created_date"]).all()
    prev = op["visit_date"]
    for col in FUNNEL[1:] + ["closed_date"]:
        both = op[col].notna()
        assert (op.loc[both, col] >= prev[both]).all(), col
        assert (op[col].isna() | prev.notna()).all(), col  # no gap in the funnel
        prev = op[col].fillna(prev)
    for i, st in enumerate(stages):  # an open deal reached exactly its stage
        sel = op["stage"] == st
        assert op.loc[sel, FUNNEL[i]].notna().all()
        if i < 4:
            assert op.loc[sel, FUNNEL[i + 1]].isna().all()
    won = op["stage"] == "won"
    assert op.loc[won, "contract_date"].notna().all()
    assert {"won", "lost"} <= set(op["stage"]) and len(set(op["stage"]) & set(stages)) >= 3


def test_targets_surveys_competitors(data) -> None:
    t, s, comp, r = data["targets"], data["surveys"], data["competitors"], data["reps"]
    reps = set(r.loc[r["role"] == "rep", "rep_id"])
    left = set(r.loc[r["status"] == "left", "rep_id"])
    per_rep = t.groupby("rep_id").size()
    assert set(t["rep_id"]) == reps and left
    assert (per_rep.drop(sorted(left)) == 36).all()  # one row per month while employed
    assert (per_rep[sorted(left)] < 36).all()  # none after leaving
    assert (t["period"].dt.day == 1).all() and t["period"].nunique() == 36
    assert (t["revenue_target"] > 0).all() and (t["new_customers_target"] >= 0).all()
    assert s["score"].between(1, 5).all() and s["score"].nunique() == 5
    assert set(s["service"]) == {"delivery", "installation", "support", "training"}
    signup = s["customer_id"].map(data["customers"].set_index("customer_id")["signup_date"])
    assert (s["survey_date"] >= signup).all()
    assert (comp["period"].dt.month.isin([1, 4, 7, 10])).all() and comp["period"].nunique() == 12
    assert 3 <= comp["competitor"].nunique() <= 4 and (comp["estimated_revenue"] > 0).all()


# --------------------------------------------------------------------- realism


def test_weekly_and_yearly_seasonality(data) -> None:
    o = data["orders"]
    assert (o["order_date"].dt.day_of_week >= 5).mean() < 0.15
    monthly = o.groupby(o["order_date"].dt.month)["revenue"].sum()
    assert monthly[[10, 11, 12]].mean() > 1.2 * monthly[[6, 7, 8]].mean()
    # Black Friday to Cyber Monday beats the average day of November
    daily = o.groupby("order_date")["revenue"].sum()
    peak = pd.to_datetime(["2023-11-24", "2023-11-27", "2024-11-29", "2024-12-02",
                           "2025-11-28", "2025-12-01"])
    nov = daily[(daily.index.month == 11) & (daily.index.day_of_week < 5)
                & ~daily.index.isin(peak)]
    assert daily[peak].mean() > 1.3 * nov.mean()


def test_revenue_grows_year_over_year(data) -> None:
    o = data["orders"]
    yearly = o.groupby(o["order_date"].dt.year)["revenue"].sum()
    assert yearly[2024] > yearly[2023] and yearly[2025] > yearly[2024]


def test_lead_conversion_structure(data) -> None:
    leads = data["leads"]
    closed = leads[leads["status"] != "open"]
    won = closed["status"] == "converted"
    assert 0.10 <= won.mean() <= 0.25
    by_source = won.groupby(closed["source"]).mean()
    assert by_source["referral"] > 1.5 * by_source["online"]
    by_needs = won.groupby(closed["needs_score"]).mean()
    assert by_needs[5] > 3 * by_needs[1]
    low_budget = closed["budget"] < 4000
    assert won[low_budget].mean() < 0.5 * won[~low_budget].mean()
    by_credit = won.groupby(closed["credit_rating"]).mean()
    assert by_credit["A"] > by_credit["D"]


def test_discount_raises_quantity_within_product(data) -> None:
    o = data["orders"]
    logq = np.log(o["quantity"])
    resid_q = logq - logq.groupby(o["product_id"]).transform("mean")
    resid_d = o["discount"] - o.groupby("product_id")["discount"].transform("mean")
    assert np.corrcoef(resid_d, resid_q)[0, 1] > 0.1
    per_product = [g["discount"].corr(np.log(g["quantity"])) for _, g in
                   o.groupby("product_id") if len(g) > 200]
    assert np.mean(np.array(per_product) > 0) > 0.9


def test_larger_customers_get_larger_discounts_and_spend_more(data) -> None:
    o, c = data["orders"], data["customers"]
    size = o["customer_id"].map(c.set_index("customer_id")["size"])
    disc = o.groupby(size)["discount"].mean()
    assert disc["small"] < disc["medium"] < disc["large"] < disc["enterprise"]
    spend = o.groupby("customer_id")["revenue"].sum()
    assert spend.quantile(0.99) > 10 * spend.median()  # heavy tail


def test_category_mix_differs_by_industry_and_region(data) -> None:
    o, c, p = data["orders"], data["customers"], data["products"]
    cat = o["product_id"].map(p.set_index("product_id")["category"])
    ind = o["customer_id"].map(c.set_index("customer_id")["industry"])
    mix = pd.crosstab(ind, cat, values=o["revenue"], aggfunc="sum", normalize="index")
    assert (mix.max() - mix.min()).max() > 0.08
    reg_mix = pd.crosstab(o["region"], cat, normalize="index")
    assert (reg_mix.max() - reg_mix.min()).max() > 0.03


def test_rep_skill_shows_in_surveys_and_win_rates() -> None:
    d = generate(seed=7, scale=1.0)
    op = d["opportunities"]
    deals = op[op["lead_id"].isna() & op["stage"].isin(["won", "lost"])]
    win = (deals["stage"] == "won").groupby(deals["rep_id"]).mean()
    score = d["surveys"].groupby("rep_id")["score"].mean()
    both = pd.concat([win, score], axis=1, keys=["win", "score"]).dropna()
    assert both["win"].corr(both["score"]) > 0.3
    assert score.max() - score.min() > 0.5


def test_targets_follow_prior_year(data) -> None:
    o, t = data["orders"], data["targets"]
    o = o.assign(year=o["order_date"].dt.year)
    actual = o.groupby(["rep_id", "year"])["revenue"].sum().unstack()
    target = t.groupby(["rep_id", t["period"].dt.year])["revenue_target"].sum().unstack()
    att = (actual / target).loc[target.index, 2024]
    assert 0.8 < att.median() < 1.2
    assert att.std() > 0.05  # attainment differs between reps
    assert target[2024].corr(actual[2023].reindex(target.index)) > 0.9


def test_competitor_share_differs_by_region(data) -> None:
    o, comp = data["orders"], data["competitors"]
    ours = o.groupby("region")["revenue"].sum()
    theirs = comp.groupby("region")["estimated_revenue"].sum()
    share = ours / (ours + theirs)
    assert share.between(0.05, 0.8).all()
    assert share.max() - share.min() > 0.08


@pytest.mark.slow
def test_default_scale_size_and_speed(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    counts = write_sample(tmp_path, seed=42)
    assert time.perf_counter() - t0 < 30
    assert 100_000 <= counts["orders"] <= 200_000
    assert 2_500 <= counts["customers"] <= 3_500
    assert 7_000 <= counts["leads"] <= 9_000
    assert 5_000 <= counts["surveys"] <= 7_000
    total = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert total < 15 * 2**20


def test_public_names_stay_on_the_sample_module() -> None:
    import salesnb as sn
    import salesnb.data as data
    import salesnb.data.sample as sample

    assert sn.generate is sample
    for name in sample.__all__:
        assert getattr(data, name) is getattr(sample, name), name
    assert sample.generate.__module__ == "salesnb.data.sample"
