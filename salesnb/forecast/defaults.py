"""Forecasting defaults, shared by the analysis and the report catalog (no imports of its own)."""

from __future__ import annotations

__all__ = ["MODELS", "GROUPINGS", "REPORT_GROUPINGS", "LEVELS"]

#: Forecasting models, by name; ``"auto"`` picks one of these by backtest.
MODELS: tuple[str, ...] = ("seasonal_naive", "naive", "drift", "ets", "regression")
#: Columns a sales series can be split by.
GROUPINGS: tuple[str, ...] = ("region", "category", "product_id", "rep_id")
#: The groupings the forecast report offers.
REPORT_GROUPINGS: tuple[str, ...] = ("region", "category")
#: Interval levels (percent) the forecast reports.
LEVELS: tuple[int, ...] = (80, 95)
