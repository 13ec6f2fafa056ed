"""Tests of salesnb.leads.features, .model, .explain and .evaluation: scoring and baselines."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import salesnb as sn
from salesnb import leads as L
from salesnb.errors import ColumnError, SalesnbError
from salesnb.leads import features

ROOT = Path(__file__).resolve().parents[1]
BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank_marketing" / "bank.csv"


def synthetic(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Conversion driven by ``signal_num`` (+) and ``channel`` (a best, d worst) only."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    channel = rng.choice(["a", "b", "c", "d"], size=n)
    logit = -1.2 + 2.0 * x + np.select([channel == "a", channel == "d"], [1.5, -1.5], 0.0)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({
        "lead_id": [f"L{i:05d}" for i in range(n)],
        "created_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n),
                                                                     unit="D"),
        "signal_num": x,
        "channel": pd.array(channel, dtype="str"),
        "noise_num": rng.normal(size=n),
        "noise_cat": pd.array(rng.choice(["p", "q", "r"], size=n), dtype="str"),
        "budget": rng.uniform(1_000, 50_000, n).round(-2),
        "won": np.where(y, "Yes", "No"),
    })


@pytest.fixture(scope="module")
def syn() -> pd.DataFrame:
    return synthetic()


@pytest.fixture(scope="module")
def syn_models(syn: pd.DataFrame) -> dict[str, L.LeadModel]:
    return {name: L.train(syn, target="won", cv=3, candidates=[name])
            for name in ("logistic", "boosting")}


@pytest.fixture(scope="module")
def sample_leads() -> pd.DataFrame:
    return sn.load(ROOT / "data").leads


@pytest.fixture(scope="module")
def sample_model(sample_leads: pd.DataFrame) -> L.LeadModel:
    return L.train(sample_leads, cv=3)


# --------------------------------------------------------------------------- known signal


def test_finds_known_signal(syn: pd.DataFrame) -> None:
    m = L.train(syn, target="won", cv=3)
    assert m.metrics_["roc_auc"] > 0.8
    assert set(m.metrics_["candidates"]) == {"logistic", "boosting"}
    assert m.metrics_["model"] == m.cv_results_.loc[m.cv_results_["roc_auc_mean"].idxmax(),
                                                    "model"]
    assert m.metrics_["lift_top_decile"] > 1.5
    assert m.metrics_["folds"] == 3
    assert m.excluded_["lead_id"] == "id"
    assert m.excluded_["created_date"] == "date"
    assert m.excluded_["won"] == "target"
    assert "noise_num" in m.features_  # kept: noise is not excluded, it must rank low
    scored = m.score(syn, explain=1)
    top = scored["probability"].idxmax()
    assert scored["top_factors"].notna().sum() == 1
    assert ("signal_num=" in scored.loc[top, "top_factors"]
            or "channel=" in scored.loc[top, "top_factors"])
    importance = m.explain(syn).abs().mean().sort_values(ascending=False)
    assert set(importance.index[:2]) == {"signal_num", "channel"}
    assert importance["noise_num"] < 0.3 * importance["signal_num"]


@pytest.mark.parametrize("name", ["logistic", "boosting"])
def test_explanations_add_up_and_point_the_right_way(name: str, syn: pd.DataFrame,
                                                     syn_models: dict) -> None:
    m = syn_models[name]
    assert m.model_name_ == name
    rows = syn.iloc[:300]
    contrib = m.explain(rows)
    assert list(contrib.columns) == m.features_
    raw = m.decision_function(rows)
    assert np.allclose(contrib.sum(axis=1) + m.base_value_, raw)
    # calibrated probability is a monotone map of the raw log-odds
    p = m.predict_proba(rows)
    assert (np.diff(p.to_numpy()[np.argsort(raw.to_numpy())]) >= -1e-12).all()
    # signs follow the signal: higher signal_num -> higher contribution; channel a > d
    assert np.corrcoef(rows["signal_num"], contrib["signal_num"])[0, 1] > 0.8
    ch = contrib["channel"].groupby(rows["channel"].to_numpy()).mean()
    assert ch["a"] > 0 > ch["d"]


# --------------------------------------------------------------------------- the sample


def test_sample_model_beats_the_rule(sample_leads: pd.DataFrame) -> None:
    c = L.compare(sample_leads, cv=3)
    assert set(c.metrics.index) == {"model", "plain_logistic", "rule"}
    assert c.metrics.loc["model", "roc_auc"] > c.metrics.loc["rule", "roc_auc"] + 0.02
    assert c.metrics.loc["model", "lift_top_decile"] > c.metrics.loc["rule", "lift_top_decile"]
    assert np.isnan(c.metrics.loc["rule", "brier"])
    assert len(c.scores) == c.metrics.loc["model", "n_test"]
    # the hold-out is untouched by training
    assert not set(c.scores.index) & set(c.model.oof_.index)
    assert c.beats("rule") and c.beats("rule", margin=0.02)
    assert not c.beats("rule", margin=1.0) and not c.beats("model")
    for plot in (L.plot_gains, L.plot_calibration):
        ax = plot(c)
        assert ax is plt.gca() and ax.get_lines()
        _, given = plt.subplots()
        assert plot(c, ax=given, linewidth=3) is given
        assert given.get_lines()[0].get_linewidth() == 3
        with pytest.raises(TypeError):
            plot(c, given)  # ax is keyword-only
        plt.close("all")
    fig = L.model_quality_figure(c)
    assert len(fig.axes) == 2 and all(ax.get_lines() for ax in fig.axes)
    plt.close("all")


def test_sample_model_leaves_out_leakage(sample_model: L.LeadModel) -> None:
    for col in ("outcome_date", "customer_id", "assigned_rep_id"):
        assert col not in sample_model.features_
        assert sample_model.excluded_[col].startswith("leakage")
    assert sample_model.excluded_["lead_id"] == "id"
    assert sample_model.metrics_["n_train"] == 7643  # open leads are not used
    assert 0.1 < sample_model.metrics_["positive_rate"] < 0.2


def test_rule_score_points_and_monotone_in_needs(sample_leads: pd.DataFrame) -> None:
    s = L.rule_score(sample_leads)
    assert s.between(0, 100).all() and s.max() == 100
    base = sample_leads.iloc[[0] * 5].reset_index(drop=True)
    base["needs_score"] = pd.array([1, 2, 3, 4, 5], dtype="Int64")
    pts = L.rule_score(base).to_numpy()
    assert (np.diff(pts) > 0).all()
    one = pd.DataFrame({"needs_score": pd.array([5, pd.NA], dtype="Int64"),
                        "budget": [60_000.0, np.nan], "credit_rating": ["A", None]})
    assert L.rule_score(one).tolist() == [100.0, 0.0]
    with pytest.raises(ColumnError, match="credit_rating"):
        L.rule_score(one.drop(columns="credit_rating"))


# --------------------------------------------------------------------------- targets & bad input


def test_target_mapping(syn: pd.DataFrame) -> None:
    y = features._target_vector(pd.Series(["YES", "no", None, "Yes"]), "y", None)
    assert y.iloc[[0, 1, 3]].tolist() == [1.0, 0.0, 1.0] and np.isnan(y.iloc[2])
    s = features._target_vector(pd.Series(["converted", "lost", "open"], dtype="str"), "status",
                                None)
    assert s.iloc[:2].tolist() == [1.0, 0.0] and np.isnan(s.iloc[2])
    assert features._target_vector(pd.Series([True, False]), "t", None).tolist() == [1.0, 0.0]
    assert features._target_vector(pd.Series([1, 0, 1]), "t", None).tolist() == [1.0, 0.0, 1.0]
    custom = syn.assign(won=np.where(syn["won"] == "Yes", "signed", "dropped"))
    with pytest.raises(L.LeadScoringError, match="positive="):
        L.train(custom, target="won")
    m = L.train(custom, target="won", positive="signed", cv=2, candidates=["logistic"])
    assert m.metrics_["positive_rate"] == pytest.approx((syn["won"] == "Yes").mean())


@pytest.mark.parametrize(("change", "kwargs", "error", "message"), [
    (lambda d: d.iloc[:40], {}, L.LeadScoringError, "too few labelled rows"),
    (lambda d: d.assign(won="No"), {}, L.LeadScoringError, "single class"),
    (lambda d: d.assign(won=np.resize(["Yes", "No", "Maybe"], len(d))), {},
     L.LeadScoringError, "not binary"),
    (lambda d: d.drop(columns="won"), {}, ColumnError, "no column target='won'.*target="),
    (lambda d: d.assign(won=np.r_[["Yes"] * 5, ["No"] * (len(d) - 5)]), {},
     L.LeadScoringError, "one class"),
    (lambda d: d.assign(empty=np.nan), {"features": ["signal_num", "empty"]},
     L.LeadScoringError, "'empty' is entirely missing"),
    (lambda d: d, {"features": ["signal_num", "nope"]}, ColumnError, "'nope'.*features="),
    (lambda d: d, {"exclude": ["nope"]}, ColumnError, "'nope'.*exclude="),
    (lambda d: d[["lead_id", "created_date", "won"]], {}, L.LeadScoringError,
     "no usable feature"),
])
def test_bad_input_is_explained(syn: pd.DataFrame, change, kwargs: dict, error: type,
                                message: str) -> None:
    assert issubclass(error, SalesnbError)
    with pytest.raises(error, match=message):
        L.train(change(syn), target="won", **kwargs)


def test_entirely_missing_column_is_dropped_with_reason(syn: pd.DataFrame) -> None:
    m = L.train(syn.assign(empty=np.nan, const="x"), target="won", cv=2,
                candidates=["logistic"])
    assert m.excluded_["empty"] == "entirely missing"
    assert m.excluded_["const"].startswith("constant")
    assert "empty" not in m.features_


# --------------------------------------------------------------------------- scoring


@pytest.mark.parametrize("name", ["logistic", "boosting"])
def test_scoring_unseen_categories_and_missing_values(name: str, syn: pd.DataFrame,
                                                      syn_models: dict) -> None:
    m = syn_models[name]
    new = syn.iloc[:4].copy()
    new["channel"] = pd.array(["zzz-new", None, "a", "a"], dtype="str")
    new["signal_num"] = [np.nan, np.nan, 1.0, np.nan]
    new["noise_cat"] = pd.array([None, "never-seen", "p", "q"], dtype="str")
    out = m.score(new, explain=True)
    assert out["probability"].between(0, 1).all() and out["probability"].notna().all()
    assert out["top_factors"].notna().all()
    assert np.allclose(m.explain(new).sum(axis=1) + m.base_value_, m.decision_function(new))
    with pytest.raises(ColumnError, match="signal_num"):
        m.score(new.drop(columns="signal_num"))


def test_tiers_expected_value_and_decay(syn: pd.DataFrame, syn_models: dict) -> None:
    m = syn_models["logistic"]
    rows = syn.iloc[:200].copy()
    rows.loc[rows.index[:3], "budget"] = np.nan
    out = m.score(rows, tiers=(0.6, 0.4, 0.2), explain=5)
    assert out.index.equals(rows.index) and (out["lead_id"] == rows["lead_id"]).all()
    p = out["probability"]
    expected = np.select([p >= 0.6, p >= 0.4, p >= 0.2], ["A", "B", "C"], "D")
    assert (out["tier"].to_numpy() == expected).all()
    assert out["tier"].nunique() >= 3
    assert np.allclose(out["expected_value"].iloc[3:], p.iloc[3:] * rows["budget"].iloc[3:])
    assert out["expected_value"].iloc[:3].isna().all()
    assert out["top_factors"].notna().sum() == 5
    assert out.loc[out["top_factors"].notna(), "probability"].min() >= \
        out.loc[out["top_factors"].isna(), "probability"].max()
    assert "decay" not in out.columns
    assert out["top_factors"].dropna().str.match(r"^[+−] \w+=").all()
    # decay: 30 days idle with a 30-day half-life halves the probability
    rows["last_activity_date"] = pd.Timestamp("2025-01-01")
    rows.loc[rows.index[0], "last_activity_date"] = pd.NaT  # falls back to created_date
    decayed = m.score(rows, half_life_days=30, as_of="2025-01-31", explain=False)
    assert np.allclose(decayed["decay"].iloc[1:], 0.5)
    created = rows["created_date"].iloc[0]
    days = (pd.Timestamp("2025-01-31") - created).days
    assert decayed["decay"].iloc[0] == pytest.approx(0.5 ** (days / 30))
    assert np.allclose(decayed["probability"], p * decayed["decay"])
    assert decayed["top_factors"].isna().all()
    with pytest.raises(L.LeadScoringError, match="tiers"):
        m.score(rows, tiers=(0.1, 0.5, 0.2))


# --------------------------------------------------------------------------- public data


def test_bank_marketing_runs_unchanged() -> None:
    if not BANK.exists():
        pytest.skip(f"public data set not found: {BANK}")
    bank = pd.read_csv(BANK, sep=";")
    m = L.train(bank, target="y", exclude=["duration"])
    # observed: boosting 0.750, logistic 0.722 (5-fold CV, random_state=0)
    assert m.metrics_["roc_auc"] >= 0.73
    assert m.excluded_["duration"] == "excluded by caller"
    assert "duration" not in m.features_
    assert m.metrics_["n_train"] == 4521 and m.metrics_["positive_rate"] == pytest.approx(
        521 / 4521)
    out = m.score(bank.head(50))
    assert out["expected_value"].isna().all()  # no budget column in this table


# --------------------------------------------------------------------------- the package


def test_public_names_resolve_and_no_module_shadows_them() -> None:
    analysis = ("errors", "features", "model", "evaluation", "tiers", "conversion", "plots",
                "assignment")
    internal = ("explain", "solver", "views", "defaults")
    exported = {n for names in L._EXPORTS.values() for n in names}
    assert not exported & set(analysis + internal)
    for sub in analysis + internal:
        module = importlib.import_module(f"salesnb.leads.{sub}")
        assert all(hasattr(module, n) for n in module.__all__), sub
        if sub in analysis:
            assert set(module.__all__) <= set(L.__all__), sub
    for name in exported:
        assert not inspect.ismodule(getattr(L, name)), name
    # sn.assign is the assignment module and keeps every public name it had
    assert set(sn.assign.__all__) == {"Assignment", "AssignmentError", "assign",
                                      "expertise_from_customers", "plot_loads"}
    assert sn.assign.plot_loads is L.plot_loads and sn.assign.AssignmentError is L.AssignmentError


def test_past_the_cap_a_model_learns_from_a_stratified_sample_and_says_so(syn: pd.DataFrame,
                                                                          ) -> None:
    from salesnb.leads.views import model_summary

    closed = len(syn)  # every lead has an outcome
    capped = L.train(syn, target="won", max_rows=600, candidates=("logistic",))
    m = capped.metrics_
    assert (m["n_train"], m["n_labelled"]) == (600, closed)
    assert m["positive_rate"] == pytest.approx((syn["won"] == "Yes").mean(), abs=0.01)
    assert m["roc_auc"] > 0.75  # the signal is still found
    assert f"a random sample (stratified by outcome) of the {closed:,} closed" in \
        model_summary(capped)
    full = L.train(syn, target="won", candidates=("logistic",))
    assert full.metrics_["n_train"] == full.metrics_["n_labelled"] == closed
    assert "random sample" not in model_summary(full)
    again = L.train(syn, target="won", max_rows=600, candidates=("logistic",))
    assert again.oof_.index.equals(capped.oof_.index)  # seeded: the same sample


def test_the_comparison_runs_on_a_sample_past_the_cap(syn: pd.DataFrame) -> None:
    comparison = L.compare(syn, target="won", max_rows=600, candidates=("logistic",))
    assert comparison.model.metrics_["n_train"] <= 600
    assert comparison.metrics["n_test"].iloc[0] == pytest.approx(600 * 0.3 / 0.7, abs=2)
