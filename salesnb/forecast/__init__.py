"""Sales trends and forecasts.

Monthly series, forecasting models and backtests, growth and seasonality, reconciliation, the
pipeline forecast.

Public names are importable from here (``from salesnb.forecast import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'models': [
        'MODELS', 'Forecast', 'sales_series', 'sales_series_sql', 'read_series', 'forecast',
        'backtest', 'plot_forecast',
    ],
    'trends': [
        'FUNNEL', 'INTERVAL_COLUMNS', 'growth', 'decompose', 'findings', 'plot_trends',
        'plot_decomposition', 'reconcile', 'stage_win_rates', 'open_pipeline',
        'pipeline_forecast', 'blend', 'plot_blend',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['views', 'models', 'trends'],
    submod_attrs=_EXPORTS,
)
