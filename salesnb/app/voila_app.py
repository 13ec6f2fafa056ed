"""salesnb's Voilà: the stock application, with kernels scoped to their browser session.

Imported only by :func:`salesnb.app.server.serve` (it imports Voilà, Tornado and the Jupyter
server). Three things differ from ``voila.app.Voila``:

- **Kernels belong to the browser session that opened the page.** Voilà's kernel endpoints
  (``/api/kernels/<id>``, its websocket ``/api/kernels/<id>/channels`` and the
  ``/voila/api/shutdown/<id>`` request a closing tab sends) act on any kernel whose id they
  are given. Here the server remembers which session started each kernel (the signed login
  cookie the Jupyter server gives every browser, anonymous or logged in) and answers 403 to
  any other session: one visitor can neither stop nor drive another's page.
- **The login token never reaches a log.** A filter replaces it (and any ``token=`` value in
  a logged URL) with ``[secret]`` in every record of Voilà's and Tornado's loggers; the
  start-up URL is printed without ``?token=``; the kernels' environment does not carry it.
- **Every kernel gets the app's scope.** A page's kernel runs with ``SALESNB_APP=1`` and, when
  the app serves one scope only (``salesnb app --scope``), that scope in
  ``SALESNB_APP_SCOPE``, as the server had them when it started, whatever else the kernel's
  environment holds (:mod:`salesnb.app.pagescope` reads them).
- The login page is salesnb's own (``voila_template/login.html``: one field for the access
  token, no Jupyter instructions); the Jupyter login form may not change the password (it
  would write a server config file into the current folder).

The login itself is the Jupyter server's own (``IdentityProvider.token``, set by
:func:`salesnb.app.server.serve` from ``SALESNB_APP_TOKEN``): a browser without the login
cookie is sent to ``/login``, which asks for the token; API requests may instead send
``Authorization: token <token>``.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from jupyter_core.utils import ensure_async
from jupyter_server.log import log_request
from tornado import web
from voila import app as _voila_app
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.voila_identity_provider import VoilaLoginHandler

from salesnb.app.pagescope import APP_ENV, APP_SCOPE_ENV

__all__ = ["OWNERS_SETTING", "SCOPE_SETTING", "KernelOwners", "Voila", "session_of", "redact"]

#: Key of the :class:`KernelOwners` registry in the Tornado application's settings.
OWNERS_SETTING = "salesnb_kernel_owners"
#: Key of the app's fixed scope ("" for none) in the Tornado application's settings.
SCOPE_SETTING = "salesnb_fixed_scope"
_REDACTED = "[secret]"
_TOKEN_PARAM = re.compile(r"(?i)(\btoken=)[^&\s\"'#]+")
_LOGIN_PAGE = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("voila_template")),
    autoescape=True).get_template("login.html")
#: Handlers acting on a kernel given by id in their URL, besides those whose URL pattern
#: has a ``kernel_id`` group.
_KERNEL_ACTIONS: tuple[type, ...] = (VoilaShutdownKernelHandler,)


def redact(text: str, secret: str = "") -> str:
    """``text`` with ``secret`` and the value of any ``token=`` parameter replaced.

    Parameters
    ----------
    text : str
        A log message, a URL, an environment value.
    secret : str, default=""
        The login token (nothing extra is replaced when empty).

    Returns
    -------
    str
    """
    if secret:
        text = text.replace(secret, _REDACTED)
    return _TOKEN_PARAM.sub(rf"\g<1>{_REDACTED}", text)


class _RedactFilter(logging.Filter):
    """Rewrites a log record so that it shows neither the token nor a ``token=`` value."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secret)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secret)
        return True


def session_of(handler: web.RequestHandler) -> str | None:
    """The browser session of a request: its user's id from the signed login cookie, or None.

    Without a login, the Jupyter server gives every browser an anonymous user of its own (a
    random id in a cookie signed with the server's secret), so two visitors are two sessions;
    with a login, each login is one.
    """
    user = handler.current_user
    return getattr(user, "username", None) or None


class KernelOwners:
    """Which browser session started which kernel, in the server process.

    Thread-safe; entries of kernels that no longer run are dropped as kernels start.
    """

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def record(self, kernel_id: str, session: str | None,
               running: Callable[[], Any] | None = None) -> None:
        """Note that ``session`` started ``kernel_id``; forget kernels not in ``running()``.

        Parameters
        ----------
        kernel_id : str
            The new kernel.
        session : str or None
            Its browser session (None: a kernel no session may act on).
        running : callable, optional
            Returns the ids of the kernels still running.
        """
        live = set(running()) if running is not None else None
        with self._lock:
            if live is not None:
                for old in [k for k in self._owners if k not in live]:
                    del self._owners[old]
            if session:
                self._owners[kernel_id] = session

    def owns(self, session: str | None, kernel_id: str) -> bool:
        """Whether ``session`` started ``kernel_id`` (False for unknown ids and no session)."""
        with self._lock:
            return session is not None and self._owners.get(kernel_id) == session

    def forget(self, kernel_id: str) -> None:
        """Drop a kernel that was stopped."""
        with self._lock:
            self._owners.pop(kernel_id, None)


class _RecordingKernelManager:
    """The server's kernel manager as seen by a page handler: notes who started each kernel.

    Every other attribute is the real manager's.
    """

    def __init__(self, manager: Any, handler: web.RequestHandler, secret: str,
                 fixed_scope: str = "") -> None:
        self._manager = manager
        self._handler = handler
        self._secret = secret
        self._fixed_scope = fixed_scope

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    async def start_kernel(self, *args: Any, env: Mapping[str, str] | None = None,
                           **kwargs: Any) -> str:
        """Start a kernel as the manager does, owned by the requesting browser session.

        The kernel's environment says it runs a page of the app, with the app's fixed scope
        (or none), whatever the environment given holds.
        """
        if env is not None:  # the request's URL (and so a ?token=) is in the kernel's env
            scoped = {k: redact(v, self._secret) if isinstance(v, str) else v
                      for k, v in env.items() if k not in (APP_ENV, APP_SCOPE_ENV)}
            scoped[APP_ENV] = "1"
            if self._fixed_scope:
                scoped[APP_SCOPE_ENV] = self._fixed_scope
            kwargs["env"] = scoped
        kernel_id = await ensure_async(self._manager.start_kernel(*args, **kwargs))
        owners: KernelOwners = self._handler.settings[OWNERS_SETTING]
        owners.record(kernel_id, session_of(self._handler), self._manager.list_kernel_ids)
        return kernel_id


class _PageHandler(TornadoVoilaHandler):
    """Voilà's page handler; the kernel it starts belongs to the requesting session."""

    @property
    def kernel_manager(self) -> Any:
        """The kernel manager, recording the owner of each kernel started (see above)."""
        return _RecordingKernelManager(self.settings["kernel_manager"], self,
                                       self.settings.get("salesnb_secret", ""),
                                       self.settings.get(SCOPE_SETTING, ""))


class _OwnKernelOnly:
    """Mixin for a handler acting on a kernel by id: 403 unless the session started it."""

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        """Authenticate as the handler does, then check the kernel is the session's own."""
        result = super().prepare(*args, **kwargs)  # type: ignore[misc]
        if inspect.isawaitable(result):
            await result
        handler: web.RequestHandler = self  # type: ignore[assignment]
        if handler._finished:  # e.g. redirected to the login page
            return
        kernel_id = handler.path_kwargs.get("kernel_id") or next(iter(handler.path_args), "")
        owners: KernelOwners = handler.settings[OWNERS_SETTING]
        if not owners.owns(session_of(handler), kernel_id):  # logged as a 403 by Tornado
            raise web.HTTPError(403, "this kernel belongs to another browser session")

    def on_finish(self) -> None:
        """Forget a kernel this request stopped."""
        handler: web.RequestHandler = self  # type: ignore[assignment]
        if handler.request.method in ("DELETE", "POST") and handler.get_status() == 204:
            kernel_id = handler.path_kwargs.get("kernel_id") or next(iter(handler.path_args),
                                                                      "")
            handler.settings[OWNERS_SETTING].forget(kernel_id)
        super().on_finish()  # type: ignore[misc]


class _LoginHandler(VoilaLoginHandler):
    """The Jupyter server's login form, with salesnb's page (asks for the access token)."""

    def render_template(self, name: str, **ns: Any) -> str:
        """Render salesnb's login page for ``login.html``, anything else as Jupyter does."""
        if name != "login.html":
            return super().render_template(name, **ns)
        return _LOGIN_PAGE.render(base_url=self.base_url, next=ns.get("next", ""),
                                  message=ns.get("message"), xsrf_form_html=self.xsrf_form_html)


def _scoped(cls: type) -> type:
    return type(f"OwnKernelOnly{cls.__name__}", (_OwnKernelOnly, cls), {})


class Voila(_voila_app.Voila):
    """Voilà with session-scoped kernels and a login token kept out of the logs.

    Named ``Voila`` like its base, so that its log lines keep the ``[Voila]`` prefix and
    ``--Voila.*`` options apply to it.
    """

    @property
    def display_url(self) -> str:
        """The landing page's URL, never with ``?token=`` (printed at start-up)."""
        return super().display_url.split("?", 1)[0]

    def init_settings(self) -> dict[str, Any]:
        """Voilà's settings plus the kernel-owner registry and a scrubbing request log.

        Raises
        ------
        RuntimeError
            With preheated kernels: they start before any session asks, so no page could
            act on its own kernel.
        """
        if self.voila_configuration.preheat_kernel:
            raise RuntimeError("salesnb's app does not use preheated kernels: a preheated "
                               "kernel has no browser session to belong to")
        settings = super().init_settings()
        self.identity_provider.login_handler_class = _LoginHandler
        settings[OWNERS_SETTING] = KernelOwners()
        settings["salesnb_secret"] = self.token or ""
        settings[SCOPE_SETTING] = os.environ.get(APP_SCOPE_ENV, "")
        settings["log_function"] = partial(log_request, record_prometheus_metrics=False)
        return settings

    def init_handlers(self) -> list:
        """Voilà's handlers, with every handler acting on a kernel by id scoped to its owner.

        Raises
        ------
        RuntimeError
            When a kernel handler would be left unscoped (a Voilà upgrade added one).
        """
        handlers = []
        for pattern, cls, *rest in super().init_handlers():
            if cls is TornadoVoilaHandler:
                cls = _PageHandler
            elif "(?P<kernel_id>" in pattern or issubclass(cls, _KERNEL_ACTIONS):
                cls = _scoped(cls)
            handlers.append((pattern, cls, *rest))
        unscoped = [p for p, c, *_ in handlers
                    if ("kernel" in p and "kernelspec" not in p) and not issubclass(
                        c, _OwnKernelOnly)]
        if unscoped:
            raise RuntimeError(f"kernel endpoints left unscoped: {unscoped}")
        return handlers

    def start(self) -> None:
        """Install the log filter, then start as Voilà does."""
        secret_filter = _RedactFilter(self.token or "")
        for logger in (self.log, logging.getLogger("tornado.access"),
                       logging.getLogger("tornado.application"),
                       logging.getLogger("tornado.general")):
            logger.addFilter(secret_filter)  # type: ignore[union-attr]
        super().start()
