"""The rep-assessment report for every scope (salesnb.assessment.scoped, .pages and .views).

On the sample: the director's page ranks every rep; a region's or a team's page ranks its reps
with each other, pays only its people and compares itself with the whole company in one
labelled line; a rep's page ranks the rep inside their team and shows nobody else's id or
name. Each test recomputes the figure it checks from the tables, not from the view.
"""

from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown
from matplotlib.figure import Figure
from matplotlib.text import Text
from pandas.io.formats.style import Styler

import salesnb as sn
from salesnb import assessment as A
from salesnb.assessment import pages as P
from salesnb.assessment import scoped as S
from salesnb.assessment import views as V
from salesnb.paths import ARTIFACTS_ENV
from salesnb.report.reporting import show
from salesnb.scope import apply_scope, team_data

matplotlib.use("Agg")

PERIOD = "2025Q4"
REP = "R020"  # East, team of manager R004 with R019-R024
EAST = {"R004", "R019", "R020", "R021", "R022", "R023", "R024"}
_WEIGHTS = {f"w_{k}": v for k, v in A.DEFAULT_WEIGHTS.items()}
_TIERS = dict(tier1_from=0.8, tier1_rate=1.0, tier2_from=1.0, tier2_rate=2.0, tier3_from=1.2,
              tier3_rate=3.0, cap=60_000.0, min_satisfaction=3.0)
_IDS = re.compile(r"\bR0\d\d\b")


@pytest.fixture(scope="module")
def data():
    return sn.load("data")


@pytest.fixture(scope="module")
def pages(data):
    """Assessments per scope text, computed once for the module."""
    cache: dict[str, S.Assessment] = {}

    def get(text: str) -> S.Assessment:
        if text not in cache:
            cache[text] = S.assess(apply_scope(data, text), PERIOD)
        return cache[text]

    return get


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _text(item: object) -> str:
    """Everything a page output shows, as text (figures: every text artist)."""
    if isinstance(item, Markdown):
        return str(item.data)
    if isinstance(item, Styler):
        return item.to_html()
    if isinstance(item, pd.DataFrame):
        return item.to_csv()
    if isinstance(item, Figure):
        item.canvas.draw()
        return "\n".join(t.get_text() for t in item.findobj(Text))
    if isinstance(item, tuple):
        return "\n".join(_text(i) for i in item)
    raise AssertionError(f"unexpected output {type(item)}")


def _page(a: S.Assessment) -> dict[str, object]:
    """Every output of the report's page for the assessment, by view, in notebook order."""
    return {
        "headline": V.page_headline(a), "scoring": V.scoring_note(a.card),
        "ranking": V.ranking_note(a), "scorecard": V.scorecard_view(a),
        "comparison": V.team_comparison(a), "ranks": P.rank_figure(a),
        "trend": P.trend_view(a), "trend table": V.trend_table(a),
        "org note": V.org_view_note(a), "org": show(P.org_rollup(a)),
        "bonus": V.payout_overview(a), "payouts": V.payout_view(a),
        "history": V.history_note(a.history), "promotion": V.promotion_view(a),
        "training": V.training_view(a),
        "panel": V.assessment_view(card=a.card, teams=a.teams, page=a,
                                   budget=a.plan.get("budget"), **_WEIGHTS, **_TIERS),
    }


def _ids(frame: pd.DataFrame, column: str = "rep_id") -> set[str]:
    return set(frame[column].astype(str))


# --------------------------------------------------------------------------- a rep's page


def test_a_reps_page_holds_only_the_reps_own_id(pages):
    a = pages(f"rep:{REP}")
    assert _ids(P.scorecard_rows(a)) == {REP}
    assert _ids(P.payout_rows(a)) == {REP} and _ids(a.payouts) == {REP}
    assert _ids(S.rep_trend(a)) == {REP} and len(S.rep_trend(a)) == 8
    assert _ids(S.training_status(a)) <= {REP}
    org = P.org_rollup(a)
    assert org["who"].astype(str).tolist() == ["R004", REP]  # the team's line, then the rep's
    assert org["level"].tolist() == ["team", "rep"]
    team = set(a.card.table.index)
    assert team == EAST - {"R004"}  # ranked with the whole team ...
    for view, out in _page(a).items():  # ... but nobody else is shown anywhere
        shown = set(_IDS.findall(_text(out)))
        allowed = {REP, "R004"} if view in ("org", "org note") else {REP}
        assert shown <= allowed, (view, shown)
        assert shown & (team - {REP}) == set(), view
    names = dict(zip(a.data.company.reps["rep_id"], a.data.company.reps["name"], strict=True))
    page = "\n".join(_text(out) for out in _page(a).values())
    for other in team - {REP}:
        assert names[other] not in page


def test_the_rank_band_is_the_rank_within_the_team(data, pages):
    d = apply_scope(data, f"rep:{REP}")
    team = team_data(d)
    card = A.scorecard(team, period=PERIOD)  # ranked on the team's data alone
    row = card.table.loc[REP]
    n = int(card.table["score"].notna().sum())
    band = S.rank_band(pages(f"rep:{REP}").card, REP)
    assert band is not None
    assert (band["rank"], band["of"], band["low"], band["high"]) == (
        int(row["rank"]), n, int(row["rank_low"]), int(row["rank_high"]))
    words = f"{S.ordinal(band['rank'])} of {n} in the team"
    assert words in V.page_headline(pages(f"rep:{REP}")).data
    assert f"likely between {S.ordinal(band['low'])} and {S.ordinal(band['high'])}" in (
        V.ranking_note(pages(f"rep:{REP}")).data)
    # the team is the East region here: each rep's rank on their own page is their row's rank
    # on the region's page, and the ranks of the team's pages are 1..6
    region = P.scorecard_rows(pages("region:East")).set_index("rep_id")
    ranks = {}
    for rep in sorted(EAST - {"R004"}):
        b = S.rank_band(pages(f"rep:{rep}").card, rep)
        assert b is not None and b["rank"] == region.at[rep, "rank"]
        ranks[rep] = b["rank"]
    assert sorted(ranks.values()) == list(range(1, 7))


def test_teammates_pages_rank_the_team_once(data, monkeypatch):
    """Every rep of a team is ranked in the same team: scored once for all their pages."""
    from salesnb.scope import clear_shared

    clear_shared()
    calls = []
    score, past = S.scorecard, S.history
    monkeypatch.setattr(S, "scorecard", lambda *a, **k: calls.append("card") or score(*a, **k))
    monkeypatch.setattr(S, "history", lambda *a, **k: calls.append("history") or past(*a, **k))
    mine = S.assess(apply_scope(data, f"rep:{REP}"), PERIOD)
    mine.history  # noqa: B018  (computed on first use)
    other = S.assess(apply_scope(data, "rep:R021"), PERIOD)
    assert other.history.equals(mine.history)
    assert calls == ["card", "history"]
    assert other.card.table.equals(mine.card.table)
    assert S.rank_band(other.card, "R021") != S.rank_band(mine.card, REP)  # each their own
    S.assess(apply_scope(data, "region:East"), PERIOD)  # not a rep: ranked for its page
    assert calls == ["card", "history", "card"]


def test_the_team_median_is_the_median_of_the_teams_kpi(data, pages):
    a = pages(f"rep:{REP}")
    kpi = A.ratios(A.counts(team_data(apply_scope(data, f"rep:{REP}")), freq="Q"))
    at = kpi.xs(pd.Period(PERIOD, "Q"), level="period")
    at = at[at.index.isin(EAST - {"R004"})]  # the team's reps (the manager is not ranked)
    table = S.team_medians(a.card, REP).set_index("kpi")
    for column, words, share in S.MEDIAN_KPIS:
        factor = 100 if share else 1
        assert table.at[words, "team median"] == pytest.approx(factor * at[column].median())
        assert table.at[words, "this rep"] == pytest.approx(factor * at.at[REP, column])
        assert table.at[words, "reps"] == at[column].notna().sum()
    # the trend's median per period, and the headline's
    trend = S.rep_trend(a).set_index("period")
    assert trend.at[PERIOD, "team median attainment %"] == pytest.approx(
        100 * at["attainment"].median())
    assert f"team median {sn.core.fmt.pct(at['attainment'].median())}" in V.page_headline(a).data


def test_a_reps_bonus_promotion_and_training_are_their_own(pages):
    a = pages(f"rep:{REP}")
    region = pages("region:East")
    pay = region.payouts.set_index("rep_id")
    text = V.payout_overview(a).data
    assert f"bonus {pay.at[REP, 'bonus']:,.0f}" in text and pay.at[REP, "rule"] in text
    assert "company's" in text  # the budget is not said to be the rep's
    # the same ranking, so the same decision as the region's list (the team is the region)
    for rep in sorted(EAST - {"R004"}):
        status = S.promotion_status(pages(f"rep:{rep}"))
        listed = rep in _ids(S.promotion_list(region))
        assert status["candidate"] == listed, rep
        said = V.promotion_view(pages(f"rep:{rep}")).data
        assert ("is a promotion candidate" in said) == listed
        assert ("is not a promotion candidate" in said) == (not listed)
    needs = A.training_needs(a.card)
    own = needs[needs["rep_id"] == REP]
    said = V.training_view(a).data
    if own.empty:
        assert "no training need" in said
    else:
        assert f"training need: {own['training'].iloc[0]}" in said


def test_a_rep_without_data_in_the_period_is_told_so(data, pages):
    company = pages("company")
    sellers = data.reps.loc[data.reps["role"] == "rep", "rep_id"]
    idle = sorted(set(sellers) - set(company.card.table.index))
    assert idle, "the sample has reps without data in the period"
    a = pages(f"rep:{idle[0]}")
    assert "has no score" in V.page_headline(a).data
    assert S.team_medians(a.card, idle[0]).empty and a.payouts.empty
    for view in (V.scorecard_view, V.payout_view, V.team_comparison, V.training_view):
        out = view(a)
        assert isinstance(out, Markdown) and idle[0] in out.data
    assert "no score" in _text(P.rank_figure(a))
    page = _page(a)  # every view of the page runs, and says so
    assert "no payout" in page["bonus"].data and "no score" in page["training"].data
    assert set(_IDS.findall(_text(tuple(page.values())))) <= {idle[0], a.scope.manager}
    assert "has no line" in page["org note"].data


# --------------------------------------------------------------------------- a region's page


def test_a_regions_page_names_only_its_people(data, pages):
    a = pages("region:East")
    assert set(a.card.table.index) == EAST - {"R004"}
    for view, out in _page(a).items():
        shown = set(_IDS.findall(_text(out)))
        assert shown <= EAST, (view, shown - EAST)
        assert "R001" not in shown and "Richard Hernandez" not in _text(out)
    org = P.org_rollup(a)
    assert org["level"].tolist().count("company") == 1
    other = data.reps.loc[data.reps["region"] != "East", "name"].dropna()
    page = "\n".join(_text(out) for out in _page(a).values())
    assert not [n for n in other if n in page]


def test_a_regions_payouts_are_the_company_payouts_of_its_people(data, pages):
    """What is asserted: a bonus depends only on the person's own revenue, attainment and
    satisfaction (a manager's team bonus on the team's), not on who they are ranked with; so
    each region's payouts, computed on the region's data, equal the company's payouts
    (``bonus`` of the company's scorecard with the company's manager roll-ups) of the region's
    reps and manager, person by person; and the regions' totals add up to the company's."""
    card = A.scorecard(data, period=PERIOD, draws=0)
    blocks = A.counts(data, freq="Q")
    whole = A.bonus(card.table, A.DEFAULT_PLAN, teams=A.teams_of(blocks, data.reps, PERIOD))
    whole = whole.set_index("rep_id")["bonus"]
    totals = 0.0
    for region in sorted(data.reps["region"].dropna().unique()):
        a = pages(f"region:{region}")
        mine = a.payouts.set_index("rep_id")["bonus"]
        people = set(data.reps.loc[data.reps["region"] == region, "rep_id"])
        assert set(mine.index) == people & set(whole.index)
        pd.testing.assert_series_equal(mine.sort_index(), whole[sorted(mine.index)],
                                       check_names=False)
        totals += float(mine.sum())
        text = V.payout_overview(a).data
        assert f"**Total bonus {mine.sum():,.0f}**" in text
        assert f"company's total of {whole.sum():,.0f}" in text
    assert totals == pytest.approx(float(whole.sum()))
    assert float(pages("company").payouts["bonus"].sum()) == pytest.approx(float(whole.sum()))


def test_the_company_line_is_the_companys_figures(data, pages):
    a = pages("region:East")
    org = P.org_rollup(a)
    line = org[org["level"] == "company"].iloc[0]
    assert line["name"] == "Whole company" and line["who"] == ""
    assert org["level"].iloc[-1] == "company"  # one line, last
    company = P.org_rollup(pages("company"))
    director = company[company["level"] == "director"].iloc[0]
    at = A.counts(data, freq="Q").xs(pd.Period(PERIOD, "Q"), level="period")
    assert line["revenue"] == pytest.approx(at["revenue"].sum())
    assert line["target"] == pytest.approx(at["target"].sum())
    assert line["attainment"] == pytest.approx(at["revenue"].sum() / at["target"].sum())
    for column in ("revenue", "target", "attainment", "win_rate", "lead_conversion",
                   "satisfaction", "new_customers", "activity"):
        assert line[column] == pytest.approx(director[column]), column
    # the region's own lines are the company page's lines of the same people
    east = company[company["who"].isin(EAST)].set_index("who")
    mine = org[org["who"].isin(EAST)].set_index("who")
    pd.testing.assert_frame_equal(mine.sort_index(), east.loc[sorted(mine.index)])
    # the headline's company line
    h = A.headline_numbers(pages("company").card, pages("company").payouts)
    head = V.page_headline(a).data
    assert (f"**Whole company** (for comparison): {h['assessed']} reps assessed, "
            f"{h['on_target']} at or above target, median attainment "
            f"{sn.core.fmt.pct(h['median_attainment'])}") in head


def test_a_team_page_is_the_managers_team(pages):
    a = pages("manager:R004")
    assert set(a.card.table.index) == EAST - {"R004"}
    assert _ids(a.payouts) == EAST
    assert "the team of manager Wei Anderson (R004)" in V.page_headline(a).data
    for view, out in _page(a).items():
        assert set(_IDS.findall(_text(out))) <= EAST, view


# --------------------------------------------------------------------------- every page


@pytest.mark.parametrize("text", ["company", "region:East", f"rep:{REP}"])
def test_names_appear_beside_ids(data, pages, text):
    a = pages(text)
    names = dict(zip(data.reps["rep_id"], data.reps["name"], strict=True))
    for frame, column, label in ((P.scorecard_rows(a), "rep_id", "rep"),
                                 (P.payout_rows(a), "rep_id", "rep"),
                                 (P.org_rollup(a), "who", "name")):
        cols = list(frame.columns)
        assert cols[cols.index(column) + 1] == label
        ids = frame[column].astype(str)
        people = ids != ""
        assert (frame.loc[people, label] == ids[people].map(names)).all()
    assert "customer" not in P.scorecard_rows(a).columns  # no customer names without pii
    headline = V.page_headline(a).data
    assert any(f"{n} ({r})" in headline for r, n in names.items())


def test_the_company_page_is_the_directors(data, pages):
    a = pages("company")
    org = P.org_rollup(a)
    assert {"director", "manager", "rep"} == set(org["level"])
    managers = data.reps.loc[data.reps["role"] == "manager"]
    assert set(org.loc[org["level"] == "manager", "who"]) == set(managers["rep_id"])
    assert set(org.loc[org["level"] == "manager", "region"]) == set(managers["region"])
    assert "company" not in set(org["level"])  # the director's line is the company
    assert len(P.scorecard_rows(a)) == len(a.card.table)
    assert "Whole company" not in V.page_headline(a).data


def test_the_panel_works_on_the_scope(pages, monkeypatch):
    from salesnb.report.widgets import HEADLESS_ENV, Panel

    a = pages(f"rep:{REP}")
    out = V.assessment_view(card=a.card, teams=a.teams, page=a, **_WEIGHTS, **_TIERS)
    assert len(out) == 5 and isinstance(out[1], Figure)
    assert set(_IDS.findall(_text(out))) == {REP}
    other = {**_WEIGHTS, "w_attainment": 0.0, "w_activity": 0.45}
    moved = V.assessment_view(card=a.card, teams=a.teams, page=a, **other, **_TIERS)
    band = S.rank_band(a.card.rescore(A.weights_from(**other)), REP)
    assert band is not None and S.rank_words(band) in moved[0].data
    assert set(_IDS.findall(_text(moved))) == {REP}
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    p = V.assessment_panel(a, budget=1e6, **_WEIGHTS, **_TIERS)
    assert isinstance(p, Panel)
    assert tuple(p.controls["period"].options) == A.period_choices(a.data.company)
    p.controls["period"].value = "2025Q3"
    shown = "\n".join(str(o["data"].get("text/html", o["data"].get("text/markdown", "")))
                      for o in p.output.outputs)
    assert "2025Q3" in shown and set(_IDS.findall(shown)) == {REP}
    region = pages("region:East")
    out = V.assessment_view(card=region.card, teams=region.teams, page=region, **_WEIGHTS,
                            **_TIERS)
    assert f"**Total bonus {region.payouts['bonus'].sum():,.0f}**" in out[3].data
    assert set(_IDS.findall(_text(out))) <= EAST


@pytest.mark.parametrize("text, people", [(f"rep:{REP}", {REP}), ("region:East", EAST)])
def test_the_payouts_export_holds_only_the_scopes_people(pages, tmp_path, monkeypatch, text,
                                                         people):
    a = pages(text)
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    assert "payouts.xlsx" in V.payout_note(a, "payouts.xlsx").data
    back = pd.read_excel(tmp_path / "payouts.xlsx", sheet_name="payouts")
    assert set(back["rep_id"]) == people
    assert "rep" in back.columns and back["bonus"].sum() == pytest.approx(a.payouts["bonus"].sum())


def test_ordinals_and_rank_words():
    assert [S.ordinal(i) for i in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    band = {"rank": 2, "of": 6, "low": 1, "high": 3}
    assert S.rank_words(band) == "2nd of 6 in the team; likely between 1st and 3rd"
    assert S.rank_words({**band, "low": 2, "high": 2}).endswith("likely 2nd whatever the luck "
                                                                 "of the period")
    assert S.rank_words({**band, "low": None, "high": None}) == "2nd of 6 in the team"


def test_visible_keeps_the_scopes_rows(data):
    frame = pd.DataFrame({"rep_id": ["R020", "R007", "R004"], "x": [1, 2, 3]})
    assert S.visible(frame, apply_scope(data, "region:East").scope)["rep_id"].tolist() == [
        "R020", "R004"]
    assert S.visible(frame, apply_scope(data, f"rep:{REP}").scope)["rep_id"].tolist() == [REP]
    assert len(S.visible(frame, apply_scope(data, "company").scope)) == 3
    by_index = frame.set_index("rep_id")
    assert S.visible(by_index, apply_scope(data, f"rep:{REP}").scope).index.tolist() == [REP]
    assert np.isclose(S.company_line(apply_scope(data, "region:East"), PERIOD)["revenue"],
                      S.company_line(data, PERIOD)["revenue"])


@pytest.mark.slow
def test_the_report_for_a_rep_runs_and_names_nobody_else(tmp_path):
    from salesnb.report.runner import plan_runs, run_reports

    result = run_reports(plan_runs(["05_rep_assessment"], params={"scope": f"rep:{REP}"}),
                         out=tmp_path)
    assert result.status == "ok", result.failure_message()
    page = (result.run_dir / "05_rep_assessment.html").read_text(encoding="utf-8")
    page = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", page)
    assert set(_IDS.findall(page)) == {REP, "R004"}  # the rep, and their manager's team line
    assert "in the team; likely between" in page and "team median" in page
    pay = pd.read_excel(result.run_dir / "bonus_payouts.xlsx")
    assert pay["rep_id"].tolist() == [REP] and pay["rep"].tolist() == ["David Ramirez"]
