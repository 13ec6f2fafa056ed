"""The data foundation.

Schema, column mappings, sources (a folder of CSV / Parquet / Excel files, a DuckDB file),
the checks before parsing (``csvscan``: line and field limits; ``encoding``: detection),
validation with quarantine, loading, the sample generator (``sample``, built on the ``synth``
subpackage).

Public names are importable from here (``from salesnb.data import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'loader': [
        'SalesData', 'ValidationReport', 'MissingTableError', 'load', 'query', 'validate',
        'connection', 'close_connection', 'data_end',
    ],
    'schema': [
        'FUNNEL', 'CLOSED', 'STAGES',
        'Column', 'ForeignKey', 'TableSpec', 'TABLES', 'TABLE_ORDER', 'PII_COLUMNS',
        'REGION_KEY', 'table_spec', 'data_dictionary', 'MAIN_DATE',
    ],
    'mapping': [
        'TableMapping', 'Mapping', 'load_mapping', 'normalise_name', 'DERIVABLE',
    ],
    'sources': [
        'Source', 'DuckDBSource', 'open_source', 'detect_encoding', 'EXTENSIONS', 'first_line',
    ],
    'folder': ['FolderSource'],
    'derived': ['PRICE_FROM_LINES', 'rows_name'],
    'encoding': ['EncodingGuess', 'guess_encoding'],
    'csvscan': ['MAX_LINE_BYTES', 'MAX_COLUMNS'],
    'validation': [
        'RULES', 'TableResult', 'validate_table', 'release', 'REVENUE_ABS_TOL',
        'REVENUE_REL_TOL', 'QUARANTINE_COLUMNS', 'MAX_ABS',
    ],
    'sample': [
        'DEFAULT_SEED', 'START', 'END', 'TABLE_NAMES', 'COLUMNS', 'generate', 'write_sample',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['csvscan', 'derived', 'encoding', 'excel', 'folder', 'loader', 'mapping',
                'sample', 'schema', 'sources', 'synth', 'validation'],
    submod_attrs=_EXPORTS,
)
