"""Shared fixtures: a tiny, valid, hand-made dataset covering all nine tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
AS_OF = dt.date(2026, 1, 1)


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Return a small, fully consistent dataset (every rule passes) as text frames."""
    reps = pd.DataFrame({
        "rep_id": ["R1", "R2", "R3", "R4"],
        "name": ["Ann Director", "Bo Manager", "Cy Rep", "Di Rep"],
        "role": ["director", "manager", "rep", "rep"],
        "manager_id": ["", "R1", "R2", "R2"],
        "region": ["", "North", "North", "North"],
        "hire_date": ["2019-01-01", "2020-02-01", "2021-03-01", "2022-04-01"],
        "status": ["active", "active", "active", "on_leave"],
    })
    products = pd.DataFrame({
        "product_id": ["P1", "P2", "P3"],
        "name": ["Widget", "Gadget", "Gizmo"],
        "category": ["tools", "tools", "software"],
        "list_price": ["10.0", "25.5", "100"],
        "unit_cost": ["4", "12", "30"],
    })
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "name": ["Acme Ltd", "Beta GmbH", "Gamma SA"],
        "industry": ["retail", "manufacturing", "retail"],
        "region": ["North", "North", "North"],
        "signup_date": ["2023-01-05", "2023-06-01", "2024-02-10"],
        "credit_rating": ["A", "B", "C"],
        "owner_rep_id": ["R3", "R3", "R4"],
    })
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3"],
        "created_date": ["2024-01-01", "2024-02-01", "2025-05-01"],
        "source": ["referral", "online", "event"],
        "budget": ["5000", "1200", ""],
        "needs_score": ["4", "2", "3"],
        "assigned_rep_id": ["R3", "R4", ""],
        "status": ["converted", "lost", "open"],
        "outcome_date": ["2024-02-01", "2024-03-15", ""],
        "customer_id": ["C3", "", ""],
    })
    orders = pd.DataFrame({
        "order_id": ["O1", "O1", "O2", "O3"],
        "line_no": ["1", "2", "1", "1"],
        "order_date": ["2024-01-10", "2024-01-10", "2024-03-05", "2025-07-01"],
        "customer_id": ["C1", "C1", "C2", "C3"],
        "product_id": ["P1", "P2", "P3", "P1"],
        "rep_id": ["R3", "R3", "R3", "R4"],
        "region": ["North"] * 4,
        "quantity": ["3", "1", "2", "10"],
        "unit_price": ["10", "25.5", "100", "9.5"],
        "discount": ["0", "0.1", "0.25", "0"],
        "revenue": ["30", "22.95", "150", "95"],
    })
    opportunities = pd.DataFrame({
        "opportunity_id": ["OP1", "OP2"],
        "customer_id": ["C1", "C3"],
        "lead_id": ["", "L1"],
        "rep_id": ["R3", "R4"],
        "created_date": ["2024-01-02", "2024-01-20"],
        "stage": ["won", "quote"],
        "amount": ["3000", "800"],
        "closed_date": ["2024-02-20", ""],
    })
    targets = pd.DataFrame({
        "rep_id": ["R3", "R3", "R4"],
        "period": ["2024-01-01", "2024-02-01", "2024-01-01"],
        "revenue_target": ["1000", "1200", "900"],
    })
    surveys = pd.DataFrame({
        "survey_id": ["S1", "S2"],
        "customer_id": ["C1", "C2"],
        "rep_id": ["R3", "R3"],
        "survey_date": ["2024-02-01", "2024-04-01"],
        "score": ["5", "3"],
    })
    competitors = pd.DataFrame({
        "period": ["2024-01-01", "2024-01-01"],
        "region": ["North", "North"],
        "category": ["tools", "tools"],
        "competitor": ["Rival Inc", "Other Co"],
        "estimated_revenue": ["50000", "20000"],
    })
    return {"reps": reps, "products": products, "customers": customers, "leads": leads,
            "orders": orders, "opportunities": opportunities, "targets": targets,
            "surveys": surveys, "competitors": competitors}


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, fmt: str = "csv",
                 encoding: str = "utf-8") -> Path:
    """Write text frames as <table>.<fmt> files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
        elif fmt == "xlsx":
            frame.to_excel(folder / f"{name}.xlsx", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture
def tiny() -> dict[str, pd.DataFrame]:
    """A fresh copy of the tiny dataset, to corrupt in a test."""
    return tiny_tables()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write tables to a new folder under tmp_path and return it."""
    counter = iter(range(1000))

    def _write(tables: dict[str, pd.DataFrame], fmt: str = "csv",
               encoding: str = "utf-8") -> Path:
        return write_tables(tables, tmp_path / f"src{next(counter)}", fmt, encoding)

    return _write


@pytest.fixture(autouse=True)
def _close_figures():
    """Close matplotlib figures after each test."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def shared_retail_mapping(tmp_path):
    """The shared online-retail sample in a folder, with the YAML mapping that loads it."""
    path = SHARED / "online_retail_sample" / "online_retail.csv"
    if not path.exists():
        pytest.skip("shared/data is not beside this checkout")
    src = tmp_path / "retail"
    src.mkdir()
    (src / "online_retail.csv").write_bytes(path.read_bytes())
    mapping = {
        "na_values": ["NA"],
        "date_formats": ["%m/%d/%y %H:%M", "%m/%d/%Y %H:%M"],
        "tables": {"orders": {
            "file": "online_retail.csv", "drop": ["X.1", "X"],
            "columns": {"InvoiceNo": "order_id", "StockCode": "product_id",
                        "Description": "description", "Quantity": "quantity",
                        "InvoiceDate": "order_date", "UnitPrice": "unit_price",
                        "CustomerID": "customer_id", "Country": "region"}}},
    }
    return src, mapping


def child_pids(pid: int, *, live_only: bool = True) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc); zombies left out when ``live_only``."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and not (live_only and fields[0] == "Z"):
            out.add(int(stat.parent.name))
    return out
