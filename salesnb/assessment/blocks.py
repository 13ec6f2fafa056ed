"""The additive building blocks of every KPI, per rep and period, and their roll-ups.

Everything in the assessment is built from *additive* counts per rep and period (revenue,
target, deals won and lost, survey points ...), so a roll-up is the sum of its parts and every
ratio is recomputed from the sums, never averaged: :func:`counts` builds the blocks,
:func:`ratios` turns any blocks into KPIs, :func:`rollup` and :func:`org_view` sum them up the
org tree.

Examples
--------
>>> import salesnb as sn
>>> d = sn.load("data")                                                   # doctest: +SKIP
>>> blocks = sn.assessment.counts(d, freq="Q")                            # doctest: +SKIP
>>> sn.assessment.rollup(blocks, d.reps, level="manager")                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.periods import parse_period, period_freq
from salesnb.data.schema import CLOSED, ORDER_MARKS
from salesnb.errors import SalesnbError

__all__ = ["AssessmentError", "missing_kpis", "counts", "ratios", "kpis", "rollup", "teams_of",
           "org_view", "attainment_trend"]


class AssessmentError(SalesnbError):
    """Input an assessment cannot use (bad weights or plan, a period with no data)."""


_ADDITIVE = ("revenue", "target", "volume", "orders", "order_sq", "new_customers",
             "leads_converted", "leads_closed", "won", "lost", "won_amount", "won_amount_sq",
             "cycle_sum", "cycle_sq", "surveys", "score_sum", "score_sq", "visits",
             "satisfaction_target_sum", "target_months")

#: What to do about a table that lacks a column the assessment reads.
_FIX = "load the tables with salesnb.load, or rename the columns in a mapping YAML"
_ORG = ("rep_id", "role", "manager_id")


def _table(data: Any, name: str) -> pd.DataFrame | None:
    if isinstance(data, Mapping):
        return data.get(name)
    try:
        return data[name] if name in data else None
    except TypeError:
        return getattr(data, name, None)


def _freq(blocks: pd.DataFrame) -> str:
    periods = blocks.index.get_level_values("period")
    return period_freq(periods[0]) if len(periods) else "Q"


def _in_period(blocks: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    return blocks[blocks.index.get_level_values("period") == period]


# --------------------------------------------------------------------------- counts


def _has(frame: pd.DataFrame | None, *columns: str) -> bool:
    """Whether a table has rows and every column with at least one value."""
    return (frame is not None and len(frame) > 0
            and all(c in frame.columns and bool(frame[c].notna().any()) for c in columns))


def missing_kpis(data: Any) -> dict[str, str]:
    """The KPIs the data cannot measure, each with the reason (the table or column it lacks).

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        The tables :func:`counts` reads.

    Returns
    -------
    dict of str to str
        KPI (of :data:`~salesnb.assessment.defaults.KPIS`) -> why it is not measured, e.g.
        ``{"satisfaction": "no surveys table with rep_id"}``; empty when every KPI can be.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["1"], "rep_id": ["R1"]})
    >>> missing_kpis({"orders": orders})["attainment"]
    'no targets table'
    """
    out: dict[str, str] = {}
    orders, targets = _table(data, "orders"), _table(data, "targets")
    opps, leads = _table(data, "opportunities"), _table(data, "leads")
    surveys = _table(data, "surveys")
    if not _has(orders, "rep_id"):
        why = ("no orders table" if orders is None or len(orders) == 0
               else "the orders have no rep_id")
        for k in ("revenue", "volume", "new_customers", "attainment"):
            out[k] = why
    if not _has(targets, "rep_id", "revenue_target"):
        out["target"] = ("no targets table" if targets is None or len(targets) == 0
                         else "the targets have no rep_id or revenue_target")
        out.setdefault("attainment", out["target"])
    if not _has(opps, "rep_id", "stage"):
        for k in ("win_rate", "avg_deal_size", "cycle_days", "activity"):
            out[k] = "no opportunities table"
    elif not _has(opps, "visit_date"):
        out["activity"] = "the opportunities have no visit_date"
    if not _has(leads, "assigned_rep_id", "status", "outcome_date"):
        out["lead_conversion"] = ("no leads table" if leads is None or len(leads) == 0 else
                                  "the leads have no assigned_rep_id, status or outcome_date")
    if not _has(surveys, "rep_id", "score"):
        out["satisfaction"] = ("no surveys table" if surveys is None or len(surveys) == 0
                               else "the surveys have no rep_id")
    return out


def counts(data: Any, *, freq: str = "Q") -> pd.DataFrame:
    """Additive building blocks of every KPI, per rep and period.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        ``orders`` with ``rep_id``, ``targets``, ``leads``, ``opportunities`` and ``surveys``
        are each used when present (the KPIs they feed are zero otherwise: see
        :func:`missing_kpis` for which ones the data cannot measure).
    freq : {"M", "Q", "Y"}, default="Q"
        Period length.

    Returns
    -------
    pandas.DataFrame
        Indexed by (rep_id, period): revenue, target, volume, orders, order_sq (sum of
        squared order revenue), new_customers, leads_converted, leads_closed, won, lost,
        won_amount, won_amount_sq, cycle_sum, cycle_sq, surveys, score_sum, score_sq,
        visits, satisfaction_target_sum and target_months. Zero where nothing happened.

    Raises
    ------
    AssessmentError
        For another ``freq``, or when no table credits anything to a rep.
    ColumnError
        When a table lacks a column the KPIs are counted from.
    """
    if freq not in ("M", "Q", "Y"):
        raise AssessmentError(f"freq={freq!r}: use 'M' (month), 'Q' (quarter) or 'Y' (year).")
    parts: list[pd.DataFrame] = []

    def per(frame: pd.DataFrame, rep: str, date: str) -> pd.DataFrame:
        frame = frame[frame[rep].notna() & frame[date].notna()]
        return frame.assign(rep_id=frame[rep].astype("str"),
                            period=pd.to_datetime(frame[date]).dt.to_period(freq))

    orders = _table(data, "orders")
    if _has(orders, "rep_id"):
        rolled = all(m in orders.columns for m in ORDER_MARKS)
        require_columns(orders, ["order_date", "rep_id", "quantity", "revenue", *(
            ORDER_MARKS if rolled else ("order_id", "customer_id"))], table="orders", fix=_FIX)
        parts.extend(_marked_counts(orders, per) if rolled else
                     _order_counts(orders, per, _table(getattr(data, "company", data), "orders")))
    targets = _table(data, "targets")
    if targets is not None and not targets.empty:
        require_columns(targets, ["rep_id", "period", "revenue_target"], table="targets",
                        fix=_FIX)
        t = per(targets, "rep_id", "period")
        tg = t.groupby(["rep_id", "period"])
        block = pd.DataFrame({"target": tg["revenue_target"].sum(), "target_months": tg.size()})
        if "satisfaction_target" in t.columns:
            block["satisfaction_target_sum"] = tg["satisfaction_target"].sum()
        parts.append(block)
    leads = _table(data, "leads")
    if leads is not None and {"assigned_rep_id", "status", "outcome_date"} <= set(leads.columns):
        closed = per(leads[leads["status"].isin(["converted", "lost"])], "assigned_rep_id",
                     "outcome_date")
        lg = closed.assign(conv=(closed["status"] == "converted").astype(float)).groupby(
            ["rep_id", "period"])["conv"]
        parts.append(pd.DataFrame({"leads_converted": lg.sum(), "leads_closed": lg.size()}))
    opps = _table(data, "opportunities")
    if opps is not None and not opps.empty:
        parts.extend(_deal_counts(opps, per))
    surveys = _table(data, "surveys")
    if surveys is not None and "rep_id" in surveys.columns and not surveys.empty:
        require_columns(surveys, ["survey_date", "score"], table="surveys", fix=_FIX)
        s = per(surveys, "rep_id", "survey_date").assign(
            sq=lambda f: f["score"].astype(float) ** 2)
        sg = s.groupby(["rep_id", "period"])
        parts.append(pd.DataFrame({"surveys": sg.size(), "score_sum": sg["score"].sum(),
                                   "score_sq": sg["sq"].sum()}))
    if not parts:
        raise AssessmentError(
            "nothing to assess per rep: the data credits no order, target, deal, lead or "
            "survey to a rep (add rep_id to the orders, or the opportunities table).")
    out = pd.concat(parts, axis=1).astype(float)
    out = out.reindex(columns=list(_ADDITIVE)).fillna(0.0)
    out.index = out.index.set_names(["rep_id", "period"])
    return out.sort_index()


def _order_counts(orders: pd.DataFrame, per: Any,
                  company: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """Revenue, orders, their squares, volume and new customers per rep and period.

    A new customer is a customer's first order line of the whole company (``company``, the
    lines ``orders`` are part of; default ``orders`` itself), credited to its rep when that
    line is among ``orders``: a rep's count is the same on every page that shows the rep.
    """
    o = per(orders, "rep_id", "order_date")
    by_order = o.groupby(["rep_id", "period", "order_id"], observed=True)["revenue"].sum()
    g = by_order.groupby(level=["rep_id", "period"])
    lines = company if company is not None and "customer_id" in company.columns else orders
    first = lines.sort_values(["order_date", "order_id"], kind="stable").drop_duplicates(
        "customer_id")
    first = per(first[first.index.isin(orders.index)] if lines is not orders else first,
                "rep_id", "order_date")
    return [pd.DataFrame({"revenue": g.sum(), "orders": g.size(),
                          "order_sq": (by_order ** 2).groupby(level=["rep_id", "period"]).sum()}),
            o.groupby(["rep_id", "period"])["quantity"].sum().rename("volume").to_frame(),
            first.groupby(["rep_id", "period"]).size().rename("new_customers").to_frame()]


def _marked_counts(orders: pd.DataFrame, per: Any) -> list[pd.DataFrame]:
    """:func:`_order_counts` from order lines summed in the engine with their marks.

    The rows (:func:`salesnb.engine.rolled_orders` with ``marks=True``) carry the order
    count, the squares of the orders' revenue and the customers' first lines, so sums per
    rep and period are the lines' own.
    """
    g = per(orders, "rep_id", "order_date").groupby(["rep_id", "period"])
    return [pd.DataFrame({"revenue": g["revenue"].sum(), "orders": g["order_count"].sum(),
                          "order_sq": g["order_sq"].sum(), "volume": g["quantity"].sum(),
                          "new_customers": g["new_customers"].sum()})]


def _deal_counts(opps: pd.DataFrame, per: Any) -> list[pd.DataFrame]:
    """Won and lost deals, won amounts, cycle days and first visits per rep and period."""
    require_columns(opps, ["rep_id", "stage", "created_date", "closed_date", "amount"],
                    table="opportunities", fix=_FIX)
    done = per(opps[opps["stage"].isin(CLOSED)], "rep_id", "closed_date")
    won = done[done["stage"] == "won"]
    cycle = (pd.to_datetime(won["closed_date"]) - pd.to_datetime(won["created_date"])
             ).dt.days.astype(float)
    amount = won["amount"].astype(float)
    wg = won.assign(cycle=cycle, cycle2=cycle ** 2, amount2=amount ** 2).groupby(
        ["rep_id", "period"])
    parts = [pd.DataFrame({
        "won": wg.size(), "won_amount": wg["amount"].sum(),
        "won_amount_sq": wg["amount2"].sum(), "cycle_sum": wg["cycle"].sum(),
        "cycle_sq": wg["cycle2"].sum()}),
        done[done["stage"] == "lost"].groupby(["rep_id", "period"]).size()
        .rename("lost").to_frame()]
    if "visit_date" in opps.columns:
        parts.append(per(opps, "rep_id", "visit_date").groupby(["rep_id", "period"])
                     .size().rename("visits").to_frame())
    return parts


def ratios(blocks: pd.DataFrame) -> pd.DataFrame:
    """Every KPI from additive counts (one row per row of ``blocks``; NaN where undefined).

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`counts` or :func:`rollup` (any index).

    Returns
    -------
    pandas.DataFrame
        The :data:`~salesnb.assessment.defaults.KPIS` columns plus the sample sizes
        ``orders``, ``deals`` (closed opportunities), ``leads_closed``, ``surveys`` and ``won``.
    """
    b = blocks

    def div(a: pd.Series, n: pd.Series) -> pd.Series:
        return a / n.where(n > 0)

    return pd.DataFrame({
        "revenue": b["revenue"], "target": b["target"].where(b["target_months"] > 0),
        "attainment": div(b["revenue"], b["target"]),
        "volume": b["volume"], "new_customers": b["new_customers"],
        "lead_conversion": div(b["leads_converted"], b["leads_closed"]),
        "win_rate": div(b["won"], b["won"] + b["lost"]),
        "avg_deal_size": div(b["won_amount"], b["won"]),
        "cycle_days": div(b["cycle_sum"], b["won"]),
        "satisfaction": div(b["score_sum"], b["surveys"]),
        "activity": b["visits"],
        "orders": b["orders"], "deals": b["won"] + b["lost"], "won": b["won"],
        "leads_closed": b["leads_closed"], "surveys": b["surveys"],
    }, index=b.index)


def kpis(data: Any, *, freq: str = "Q") -> pd.DataFrame:
    """KPIs per rep and period (month, quarter or year): :func:`ratios` of :func:`counts`.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        As for :func:`counts`.
    freq : {"M", "Q", "Y"}, default="Q"
        Period length.

    Returns
    -------
    pandas.DataFrame
        Indexed by (rep_id, period), the KPI columns of :func:`ratios`.
    """
    return ratios(counts(data, freq=freq))


# --------------------------------------------------------------------------- roll-ups


def _parents(reps: pd.DataFrame) -> dict[str, str | None]:
    mgr = reps.set_index(reps["rep_id"].astype("str"))["manager_id"]
    return {k: (None if pd.isna(v) or v == "" else str(v)) for k, v in mgr.items()}


def rollup(blocks: pd.DataFrame, reps: pd.DataFrame, *, level: str = "manager") -> pd.DataFrame:
    """Sum a team's counts up the org tree and recompute its KPIs.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`counts`, indexed by (rep_id, period).
    reps : pandas.DataFrame
        The org: rep_id, role, manager_id.
    level : {"manager", "director"}
        "manager": each manager's team (the manager and everyone reporting to them, at any
        depth); "director": the whole organisation under each director.

    Returns
    -------
    pandas.DataFrame
        Indexed by (the manager's or director's rep_id, period): the summed counts followed
        by the KPIs, and ``people`` (reps with a row in the period).
    """
    if level not in ("manager", "director"):
        raise AssessmentError(f"level={level!r}: use 'manager' or 'director'.")
    require_columns(reps, _ORG, table="reps", fix=_FIX)
    parent = _parents(reps)
    roles = reps.set_index(reps["rep_id"].astype("str"))["role"].to_dict()

    def head(rep: str) -> str | None:
        seen: set[str] = set()
        node: str | None = rep
        while node is not None and node not in seen:
            seen.add(node)
            if roles.get(node) == level:
                return node
            node = parent.get(node)
        return None

    heads = {r: head(r) for r in blocks.index.get_level_values("rep_id").unique()}
    lead = blocks.index.get_level_values("rep_id").map(heads)
    keep = lead.notna()
    part = blocks[keep]
    key = [np.asarray(lead[keep]), part.index.get_level_values("period")]
    summed = part.groupby(key).sum()
    summed.index = summed.index.set_names([f"{level}_id", "period"])
    people = part.groupby(key).size()
    kpi = ratios(summed)
    out = pd.concat([summed, kpi.drop(columns=kpi.columns.intersection(summed.columns))],
                    axis=1)
    out["people"] = people.to_numpy()
    return out


def teams_of(blocks: pd.DataFrame, reps: pd.DataFrame, period: str | pd.Period) -> pd.DataFrame:
    """Each manager's team counts and KPIs in one period (what the team bonus is paid on).

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`counts`, indexed by (rep_id, period).
    reps : pandas.DataFrame
        The org: rep_id, role, manager_id.
    period : str or pandas.Period
        The period ("2025Q4").

    Returns
    -------
    pandas.DataFrame
        Indexed by manager_id: the :func:`rollup` columns of that period.
    """
    at = _in_period(blocks, parse_period(period, _freq(blocks)))
    return rollup(at, reps, level="manager").droplevel("period")


def org_view(blocks: pd.DataFrame, reps: pd.DataFrame, period: str | pd.Period) -> pd.DataFrame:
    """One period's KPIs for the director, each manager and each rep, in org order.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`counts`, indexed by (rep_id, period).
    reps : pandas.DataFrame
        The org: rep_id, role, manager_id, region.
    period : str or pandas.Period
        The period ("2025Q4").

    Returns
    -------
    pandas.DataFrame
        Rows: the director's total, then each manager's team followed by its reps; columns
        ``level``, ``who`` (rep_id), ``region`` and the main KPIs.
    """
    p = parse_period(period, _freq(blocks))
    require_columns(reps, [*_ORG, "region"], table="reps", fix=_FIX)
    cols = ["revenue", "target", "attainment", "new_customers", "win_rate",
            "lead_conversion", "satisfaction", "activity"]
    at = blocks.xs(p, level="period") if p in blocks.index.get_level_values("period") else (
        blocks.iloc[:0].droplevel("period"))
    if at.empty:
        raise AssessmentError(f"org_view: no data in {p}.")
    region = reps.set_index(reps["rep_id"].astype("str"))["region"]
    rows = []
    for lvl in ("director", "manager"):
        r = rollup(_in_period(blocks, p), reps, level=lvl)
        for (who, _), rec in r.iterrows():
            rows.append({"level": lvl, "who": who, "region": region.get(who), **rec[cols]})
            if lvl == "manager":
                team = [x for x, m in _parents(reps).items() if m == who and x in at.index]
                for x, rr in ratios(at.loc[team]).iterrows():
                    rows.append({"level": "rep", "who": x, "region": region.get(x),
                                 **rr[cols]})
    return pd.DataFrame(rows)


def attainment_trend(blocks: pd.DataFrame, reps: pd.DataFrame | None = None, *,
                     periods: int = 8, until: str | pd.Period | None = None) -> pd.DataFrame:
    """Attainment per rep over the last ``periods`` periods (1.0 = on target).

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`counts`, indexed by (rep_id, period).
    reps : pandas.DataFrame, optional
        The org; when it has ``role``, only reps (not managers or directors) are kept.
    periods : int, default=8
        How many of the latest periods (fewer when the blocks have fewer).
    until : str or pandas.Period, optional
        The last period shown (the one assessed); default the last in ``blocks``. Read with
        the blocks' own period length.

    Returns
    -------
    pandas.DataFrame
        One row per rep with an attainment in any of the periods, one column per period.
    """
    att = ratios(blocks)["attainment"].unstack("period")
    if until is not None:
        last = parse_period(until, _freq(blocks))
        att = att[[c for c in att.columns if c <= last]]
    att = att[att.columns[-periods:]].dropna(how="all")
    if reps is not None and "role" in reps.columns:
        who = set(reps.loc[reps["role"] == "rep", "rep_id"].astype(str))
        att = att[att.index.isin(who)]
    return att
