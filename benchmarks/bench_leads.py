"""Benchmark: salesnb lead scoring against a plain HistGradientBoostingClassifier.

Data (generated once under ``benchmarks/work/leads/``, fixed seed): 100k training leads and
1M leads to score, resampled from the sample's ``leads`` table (``data/``) with perturbed
numbers (budget x log-normal noise, engagement counts +- Poisson noise); training rows keep
their outcome, so the signal is the sample's.

Measured, interleaved, each in a fresh process, ``--repeat`` times (medians reported):

* ``train``: ``salesnb.leads.train`` on 100k (2 candidates x 5 folds + refit + calibration);
* ``score``: ``LeadModel.score`` on 1M, probability only (``explain=False``);
* ``score+explain``: the same with ``explain=1000`` (top factors for the best 1,000 leads);
* baseline ``fit``: ``HistGradientBoostingClassifier`` (default settings, native categories
  from the pandas category dtype) on the same 100k rows and features;
* baseline ``predict``: its ``predict_proba`` on the same 1M rows.

Wall time is taken inside the child around the work only (imports and reading the Parquet
file excluded, the same for both). Peak memory is the child's peak resident set size
(``ru_maxrss``), which includes the loaded data; ``data MB`` is the RSS right after loading.

Usage::

    python benchmarks/bench_leads.py               # 3 runs each
    python benchmarks/bench_leads.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = r"""
import json, pickle, resource, sys, time
import pandas as pd
task, work = sys.argv[1], sys.argv[2]
from salesnb import leads as L
from sklearn.ensemble import HistGradientBoostingClassifier
FEATS = ["source", "industry", "size", "region", "budget", "credit_rating", "needs_score",
         "website_visits", "email_opens", "events_attended"]

def plain(frame):
    X = frame[FEATS].copy()
    for c in X.columns:
        if X[c].dtype == "str":
            X[c] = X[c].astype("category")
        else:
            X[c] = X[c].astype("float64")
    return X

name = "train_100k" if task in ("train", "fit") else "score_1M"
frame = pd.read_parquet(f"{work}/{name}.parquet")
data_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if task in ("score", "explain"):
    with open(f"{work}/model.pkl", "rb") as fh:
        model = pickle.load(fh)
if task == "predict":
    with open(f"{work}/plain.pkl", "rb") as fh:
        model = pickle.load(fh)
start = time.perf_counter()
if task == "train":
    model = L.train(frame)
    extra = {"chosen": model.metrics_["model"], "cv_auc": model.metrics_["roc_auc"]}
elif task == "score":
    out = model.score(frame, explain=False)
    extra = {"rows": len(out)}
elif task == "explain":
    out = model.score(frame, explain=1000)
    extra = {"explained": int(out["top_factors"].notna().sum())}
elif task == "fit":
    y = (frame["status"] == "converted").to_numpy()
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(plain(frame), y)
    extra = {}
else:
    p = model.predict_proba(plain(frame))[:, 1]
    extra = {"rows": len(p)}
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if task in ("train", "fit"):
    with open(f"{work}/{'model' if task == 'train' else 'plain'}.pkl", "wb") as fh:
        pickle.dump(model, fh)
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "data_mb": data_mb, **extra}))
"""


def _datasets(work: Path, seed: int = 0) -> None:
    """Write train_100k.parquet (labelled) and score_1M.parquet under ``work``."""
    if (work / "train_100k.parquet").exists() and (work / "score_1M.parquet").exists():
        return
    import numpy as np
    import pandas as pd

    import salesnb as sn

    leads = sn.load(ROOT / "data").leads
    rng = np.random.default_rng(seed)

    def perturb(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.reset_index(drop=True)
        n = len(out)
        out["lead_id"] = pd.array([f"B{i:08d}" for i in range(n)], dtype="str")
        out["budget"] = (out["budget"] * rng.lognormal(0, 0.15, n)).round(-2)
        for c in ("website_visits", "email_opens", "events_attended"):
            noise = rng.poisson(1.0, n) - rng.poisson(1.0, n)
            out[c] = (out[c] + noise).clip(lower=0).astype("Int64")
        return out

    work.mkdir(parents=True, exist_ok=True)
    closed = leads[leads["status"] != "open"]
    perturb(closed.sample(100_000, replace=True, random_state=seed)).to_parquet(
        work / "train_100k.parquet")
    perturb(leads.sample(1_000_000, replace=True, random_state=seed + 1)).to_parquet(
        work / "score_1M.parquet")


def _measure(task: str, work: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, task, str(work)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and print a Markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per task (default 3)")
    parser.add_argument("--work", type=Path, default=HERE / "work" / "leads")
    args = parser.parse_args()
    _datasets(args.work)
    tasks = ["train", "fit", "score", "explain", "predict"]  # train/fit first: they save models
    runs: dict[str, list[dict]] = {t: [] for t in tasks}
    for _ in range(args.repeat):
        for t in tasks:  # interleaved, so drift on a shared machine hits all
            runs[t].append(_measure(t, args.work))
            print(t, runs[t][-1], file=sys.stderr, flush=True)
    med = {t: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "peak_mb", "data_mb")}
           for t, rs in runs.items()}
    rows = [
        "| step | rows | salesnb s | baseline HGB s | time ratio | salesnb peak MB | "
        "baseline peak MB | data MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    pairs = [("train (2 candidates x 5-fold CV + calibration)", "train", "fit", "100,000"),
             ("score, probability only", "score", "predict", "1,000,000"),
             ("score, explain=1000", "explain", "predict", "1,000,000")]
    for label, ours, base, n in pairs:
        rows.append(f"| {label} | {n} | {med[ours]['seconds']:.2f} | "
                    f"{med[base]['seconds']:.2f} | "
                    f"{med[ours]['seconds'] / med[base]['seconds']:.2f}x | "
                    f"{med[ours]['peak_mb']:,.0f} | {med[base]['peak_mb']:,.0f} | "
                    f"{med[ours]['data_mb']:,.0f} |")
    print("\n".join(rows))
    chosen = runs["train"][0]
    print(f"\nchosen model on 100k: {chosen['chosen']} (CV ROC AUC {chosen['cv_auc']:.3f})")


if __name__ == "__main__":
    main()
