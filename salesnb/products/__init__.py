"""Products and regions.

Aggregates on DuckDB or pandas (``engine``), growth (``growth``), ABC classes and structure
(``portfolio``), price/volume/mix (``pvm``), discounts and elasticity (``pricing``), charts
(``plots``), findings in words (``insights``), the report's periods and filters
(``selection``), region performance and market share (``regions``, also ``sn.regions``) and
the report views (``views``; ``scoped``: what a region's, team's or rep's report shows).

Public names are importable from here (``from salesnb.products import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light. The region
functions (``regions.performance``, ...) are reached through ``regions``, as their names
overlap with the product ones.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'engine': ['Engine', 'Window', 'Period', 'FREQS', 'aggregate', 'parse_window',
               'default_periods'],
    'growth': ['performance', 'quarterly_growth'],
    'portfolio': ['abc', 'structure'],
    'pvm': ['price_volume_mix', 'price_volume_totals'],
    'pricing': ['discount_bands', 'discount_gap', 'elasticity'],
    'plots': ['plot_abc', 'plot_structure', 'plot_price_volume_mix', 'plot_discount_bands',
              'plot_heatmap', 'plot_market_share'],
    'insights': ['findings'],
    'selection': ['ALL', 'periods', 'comparison_gap', 'with_region', 'options',
                  'filter_orders', 'filter_competitors'],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['engine', 'growth', 'portfolio', 'pvm', 'pricing', 'plots', 'insights',
                'selection', 'regions', 'scoped', 'views'],
    submod_attrs=_EXPORTS,
)
