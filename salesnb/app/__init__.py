"""The managers' app.

Voila serving the report notebooks behind a salesnb template.

Public names are importable from here (``from salesnb.app import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'server': [
        'DEFAULT_PORT', 'DEFAULT_IP', 'TEMPLATE', 'IDLE_KERNEL_SECONDS', 'TOKEN_ENV',
        'MIN_TOKEN_LENGTH', 'AppError', 'analyses', 'page_path', 'write_template',
        'trust_notebooks', 'voila_argv', 'free_port', 'is_loopback', 'login_token', 'serve',
        'AppProcess',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['server', 'voila_app'],
    submod_attrs=_EXPORTS,
)
