"""Small hand-made tables the product and region tests share (not a test module)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ENGINES = ["duckdb", "pandas"]
BASE = ("2024-01-01", "2024-12-31")
CURRENT = ("2025-01-01", "2025-12-31")


def lines(rows: list[tuple]) -> pd.DataFrame:
    """Order lines from (date, product, quantity, revenue[, region, customer, rep])."""
    cols = ["order_date", "product_id", "quantity", "revenue", "region", "customer_id",
            "rep_id"]
    full = [r + ("North", "C1", "R1")[len(r) - 4:] for r in rows]
    df = pd.DataFrame(full, columns=cols)
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["unit_price"] = df["revenue"] / df["quantity"]
    return df


def pvm_orders() -> pd.DataFrame:
    """A and B sold in both years, C new in 2025."""
    return lines([
        ("2024-03-01", "A", 10, 100.0), ("2024-05-01", "B", 10, 200.0),
        ("2025-03-01", "A", 15, 165.0), ("2025-05-01", "B", 5, 100.0),
        ("2025-06-01", "C", 5, 50.0),
    ])


def perf_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """P1 grows, P2 is new, P3 has cost 0 (margin unknown), P4 never sells."""
    orders = lines([
        ("2024-02-01", "P1", 10, 100.0), ("2025-02-01", "P1", 12, 150.0),
        ("2025-03-01", "P2", 5, 200.0),                       # new: nothing in 2024
        ("2024-04-01", "P3", 2, 40.0), ("2025-04-01", "P3", 1, 30.0),   # cost 0: unknown
    ])
    products = pd.DataFrame({"product_id": ["P1", "P2", "P3", "P4"],
                             "category": ["tools", "tools", "soft", "soft"],
                             "unit_cost": [4.0, 30.0, 0.0, np.nan]})
    return orders, products


def region_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Orders in North and South, customers, and competitor estimates for North only."""
    orders = lines([
        ("2024-03-01", "P1", 1, 100.0, "North", "C1", "R1"),
        ("2025-03-01", "P1", 1, 150.0, "North", "C1", "R1"),
        ("2025-04-01", "P1", 1, 50.0, "North", "C2", "R2"),
        ("2025-05-01", "P2", 1, 80.0, "South", "C3", "R3"),
    ])
    products = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["tools", "soft"]})
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4", "C5"],
                              "region": ["North", "North", "South", "South", "North"]})
    competitors = pd.DataFrame({
        "period": pd.to_datetime(["2024-01-01", "2025-01-01", "2025-01-01", "2025-04-01"]),
        "region": ["North", "North", "North", "North"],
        "category": ["tools"] * 4, "competitor": ["X", "X", "Y", "X"],
        "estimated_revenue": [300.0, 350.0, 100.0, 150.0]})
    return orders, products, customers, competitors
