"""Forecasting defaults, shared by the analysis and the report catalog (no imports of its own)."""

from __future__ import annotations

__all__ = ["MODELS", "GROUPINGS", "REPORT_GROUPINGS", "GROUP_NEEDS", "LEVELS",
           "COMPLETE_WITHIN_DAYS", "MIN_FORECAST_MONTHS", "MAX_GROUPS", "BACKTEST_MONTHS",
           "MAX_HORIZON", "REPORT_TABLES"]

#: Forecasting models, by name; ``"auto"`` picks one of these by backtest.
MODELS: tuple[str, ...] = ("seasonal_naive", "naive", "drift", "ets", "theta", "regression",
                           "combo")
#: Columns a sales series can be split by.
GROUPINGS: tuple[str, ...] = ("region", "category", "product_id", "rep_id")
#: The tables the forecast report fetches: what it analyses and what places them in a scope.
REPORT_TABLES: tuple[str, ...] = ("orders", "products", "opportunities", "reps", "customers")
#: The groupings the forecast report offers.
REPORT_GROUPINGS: tuple[str, ...] = ("region", "category")
#: What each report grouping needs in the data, as a report section's ``needs``
#: (``"table.column"``: the column exists with at least one value).
GROUP_NEEDS: dict[str, tuple[str, ...]] = {
    "region": ("orders.region",),
    "category": ("orders.product_id", "products.category"),
}
#: The last month of the data counts as complete when the data reaches one of its last
#: ``COMPLETE_WITHIN_DAYS + 1`` days (a month whose last days are a weekend or a holiday);
#: otherwise it is a part month, left out of trends and forecasts.
COMPLETE_WITHIN_DAYS: int = 3
#: Fewest complete months a report forecasts from (a line through two points is no forecast).
MIN_FORECAST_MONTHS: int = 3
#: Groups a report shows and forecasts one by one; the smaller ones are summed as "Other".
MAX_GROUPS: int = 8
#: Interval levels (percent) the forecast reports.
LEVELS: tuple[int, ...] = (80, 95)
#: The horizon the reports' backtests score (model choice and interval widths), whatever
#: horizon the page shows, so a month's forecast does not move with the horizon.
BACKTEST_MONTHS: int = 12
#: The longest horizon a report offers (months).
MAX_HORIZON: int = 24
