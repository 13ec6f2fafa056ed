"""Products and regions.

Aggregates on DuckDB or pandas, ABC classes, growth, structure, price/volume/mix, discounts,
elasticity, region performance and market share.

Public names are importable from here (``from salesnb.products import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'portfolio': [
        'Engine', 'Period', 'FREQS', 'aggregate', 'parse_period', 'default_periods',
        'performance', 'quarterly_growth', 'abc', 'structure', 'price_volume_mix',
        'discount_bands', 'elasticity', 'plot_abc', 'plot_structure', 'plot_price_volume_mix',
        'plot_discount_bands',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['regions', 'views', 'portfolio'],
    submod_attrs=_EXPORTS,
)
