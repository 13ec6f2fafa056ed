"""Sales trends and forecasts.

Modules: ``series`` (regular series from orders or a CSV file), ``fitters`` (the forecasting
models), ``evaluation`` (rolling-origin backtests and the leaderboard), ``models`` (the
forecast of one series, its intervals and plot), ``trends`` (growth, decomposition, findings;
also ``sn.trends``), ``hierarchy`` (forecasts per group that add up to the total),
``pipeline`` (win rates, the weighted open pipeline and the blend), ``requirements`` (what
each report section needs, and why a short history blocks one), ``history`` (the monthly
history a report analyses, for its scope, with the company's total beside it), ``views`` (the
report's wiring) and ``defaults`` (parameter defaults, no imports).

Public names are importable from here (``from salesnb.forecast import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'defaults': ['MODELS', 'GROUPINGS', 'LEVELS'],
    'series': ['FREQS', 'History', 'sales_series', 'sales_series_sql', 'read_series',
               'order_history'],
    'evaluation': ['backtest', 'min_history'],
    'models': ['INTERVAL_COLUMNS', 'Forecast', 'forecast', 'forecast_many', 'plot_forecast'],
    'trends': [
        'FUNNEL', 'SEASON_MONTHS', 'yoy_months', 'company_growth', 'growth', 'latest_growth',
        'decompose', 'findings', 'trends_figure', 'decomposition_figure',
    ],
    'hierarchy': ['reconcile', 'coherent_forecasts', 'forecast_table', 'group_forecasts_figure'],
    'pipeline': [
        'stage_win_rates', 'open_pipeline', 'pipeline_forecast', 'won_series', 'blend',
        'plot_blend', 'won_deals_blend', 'last_activity',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['defaults', 'series', 'fitters', 'evaluation', 'models', 'trends', 'hierarchy',
                'pipeline', 'requirements', 'history', 'views'],
    submod_attrs=_EXPORTS,
)
