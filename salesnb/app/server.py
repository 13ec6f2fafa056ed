"""The managers' app: the report notebooks served by Voilà, code hidden, behind a landing page.

``salesnb app`` starts Voilà on ``notebooks/`` with the ``salesnb`` template
(``salesnb/app/voila_template``): a landing page listing the analyses of the catalog with their
titles and descriptions, and one page per analysis that shows only results and the widget
panels, with a loading panel naming the analysis and its progress while its kernel starts.
Every page runs its notebook top to bottom with the default parameters in a kernel of its own
(the loaded, validated data is cached on disk in ``outputs/.app-cache``, keyed by the source
files, so only the first page after an export changes pays for loading); the panels then
recompute only what their controls change.

The server listens on 127.0.0.1 unless told otherwise: the reports contain company data, so
serving them to a network is a deliberate choice (``--ip 0.0.0.0`` behind the company's
authentication). Teams serving it without an authenticating proxy set a login token in
``SALESNB_APP_TOKEN`` (:data:`TOKEN_ENV`): the Jupyter server's own login then asks every
browser for it; without one on an address other than loopback, the app warns at start-up.

Whatever the login, each browser session may act only on the kernels its own pages started
(:mod:`salesnb.app.voila_app`); the loaded data is cached as Arrow files and JSON, never as
pickles (:func:`salesnb.report.reporting.report_data`).

Every page has a scope control at its top (:mod:`salesnb.app.pagescope`): choosing the
company, a region, a manager's team or a rep reloads the page with ``?scope=...`` and the whole
notebook runs again for it. ``salesnb app --scope manager:R003`` serves that scope only: it is
checked against the data before Voilà starts (an unknown one stops the app with the valid
scopes), the server gives it to every kernel in ``SALESNB_APP_SCOPE``
(:data:`~salesnb.app.pagescope.APP_SCOPE_ENV`), and the pages ignore the scope in their
address, so a manager's app cannot show another team.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from salesnb.app.pagescope import APP_ENV, APP_SCOPE_ENV
from salesnb.errors import SalesnbError
from salesnb.paths import (
    ARTIFACTS_ENV,
    DATA_CACHE_ENV,
    HEADLESS_ENV,
    NOTEBOOKS_DIR,
    outputs_dir,
    resolve_source,
)
from salesnb.report.catalog import NOTEBOOKS, SOURCE
from salesnb.report.params import NotebookSpec

__all__ = ["DEFAULT_PORT", "DEFAULT_IP", "TEMPLATE", "IDLE_KERNEL_SECONDS", "TOKEN_ENV",
           "MIN_TOKEN_LENGTH", "CELL_ERROR_TEXT", "AppError", "analyses", "page_path",
           "write_template", "trust_notebooks", "voila_argv", "free_port", "is_loopback",
           "login_token", "app_scope", "serve", "AppProcess"]

DEFAULT_PORT = 8866
DEFAULT_IP = "127.0.0.1"
#: Name of the Voilà template written by :func:`write_template`.
TEMPLATE = "salesnb"
#: A kernel whose page was closed is stopped after this many idle seconds (Voilà's own
#: shutdown request on closing a tab is refused by its XSRF check, voila issue #1458).
IDLE_KERNEL_SECONDS = 600
#: Environment variable holding the app's login token (empty or unset: no login).
TOKEN_ENV = "SALESNB_APP_TOKEN"
#: Shortest login token accepted (the login page does not limit guesses).
MIN_TOKEN_LENGTH = 16
#: What a page says under a step that stopped (instead of Voilà's advice to developers).
CELL_ERROR_TEXT = ("The analysis stopped at this step: a message above says why, or the app's "
                   "log has the details.")
_TEMPLATE_FILES = Path(__file__).with_name("voila_template")


class AppError(SalesnbError):
    """The app cannot start (e.g. its port is taken) or did not become ready."""


def analyses(notebooks_dir: str | Path = NOTEBOOKS_DIR) -> list[NotebookSpec]:
    """The catalog's analyses whose notebook is in ``notebooks_dir``, in catalog order."""
    folder = Path(notebooks_dir)
    return [spec for name, spec in sorted(NOTEBOOKS.items())
            if (folder / f"{name}.ipynb").is_file()]


def page_path(name: str) -> str:
    """URL path (under the app's base URL) of an analysis page, e.g. ``voila/render/x.ipynb``."""
    return f"voila/render/{name}.ipynb"


def _no_jinja(text: str) -> str:
    """HTML-escape ``text`` and keep Jinja from reading braces in it."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def _landing_items(specs: Sequence[NotebookSpec]) -> str:
    items = []
    for spec in specs:
        items.append(
            f'      <li id="analysis-{spec.name}"><a href="{{{{ base_url }}}}'
            f'{page_path(spec.name)}">\n'
            f"        <h2>{_no_jinja(spec.title)}</h2>\n"
            f"        <p>{_no_jinja(spec.description)}</p>\n"
            f"      </a></li>")
    return "\n".join(items)


def _scope_line(scope_words: str) -> str:
    if not scope_words:
        return ""
    return (f'<p class="salesnb-app-scope" id="salesnb-app-scope">This app shows one scope '
            f"only: <strong>{_no_jinja(scope_words)}</strong>. Every analysis is for it.</p>")


def write_template(root: str | Path, specs: Sequence[NotebookSpec], *,
                   scope_words: str = "") -> Path:
    """Write the ``salesnb`` Voilà template under ``root`` (a Jupyter data folder).

    The landing page lists ``specs``; analysis pages take their title from them.

    Parameters
    ----------
    root : str or pathlib.Path
        Folder to put on ``JUPYTER_PATH``; the template goes to
        ``root/voila/templates/salesnb``.
    specs : sequence of NotebookSpec
        The analyses to list.
    scope_words : str, default=""
        The app's fixed scope in words, said on the landing page (empty: none).

    Returns
    -------
    pathlib.Path
        The template folder.
    """
    folder = Path(root) / "voila" / "templates" / TEMPLATE
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(_TEMPLATE_FILES / "conf.json", folder / "conf.json")
    titles = json.dumps({s.name: s.title for s in specs}, ensure_ascii=True)
    index = (_TEMPLATE_FILES / "index.html.j2").read_text(encoding="utf-8")
    (folder / "index.html.j2").write_text(index.replace("__SALESNB_TITLES__", titles),
                                          encoding="utf-8")
    tree = (_TEMPLATE_FILES / "tree.html").read_text(encoding="utf-8")
    tree = tree.replace("<!-- salesnb:scope -->", _scope_line(scope_words))
    (folder / "tree.html").write_text(
        tree.replace("<!-- salesnb:analyses -->", _landing_items(specs)), encoding="utf-8")
    return folder


def trust_notebooks(folder: str | Path, notebooks_dir: str | Path,
                    specs: Sequence[NotebookSpec]) -> Path:
    """Sign the analyses' notebooks into a notary database of the app's own.

    The app serves only the notebooks salesnb ships, so it trusts them: signed here, Voilà
    finds their signatures and logs no "Notebook ... is not trusted" line per page. The
    database and its secret live in ``folder`` (the app's temporary folder), never in the
    user's Jupyter data folder, so nothing the user opens elsewhere becomes trusted.

    Parameters
    ----------
    folder : str or pathlib.Path
        The notary's data folder (created); pass it to Voilà as ``NotebookNotary.data_dir``.
    notebooks_dir : str or pathlib.Path
        Where the notebooks are.
    specs : sequence of NotebookSpec
        The analyses to sign.

    Returns
    -------
    pathlib.Path
        ``folder``.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    notary = NotebookNotary(data_dir=str(folder))
    try:
        for spec in specs:
            notary.sign(nbformat.read(Path(notebooks_dir) / f"{spec.name}.ipynb",
                                      as_version=4))
    finally:
        notary.close()
    return folder


def voila_argv(notebooks_dir: str | Path, *, port: int = DEFAULT_PORT,
               ip: str = DEFAULT_IP, open_browser: bool = False,
               notary_dir: str | Path | None = None) -> list[str]:
    """Voilà's command-line arguments for the app (without the program name).

    Parameters
    ----------
    notebooks_dir : str or pathlib.Path
        The folder Voilà serves.
    port : int, default=8866
        Port to listen on.
    ip : str, default="127.0.0.1"
        Address to listen on.
    open_browser : bool, default=False
        Open the landing page in a browser.
    notary_dir : str or pathlib.Path, optional
        The notary folder of :func:`trust_notebooks`.

    Returns
    -------
    list of str
    """
    notary = [f"--NotebookNotary.data_dir={notary_dir}"] if notary_dir is not None else []
    ipc = [] if sys.platform == "win32" else ["--KernelManager.transport=ipc"]
    return [
        str(notebooks_dir),
        f"--port={port}",
        "--Voila.port_retries=0",  # the port asked for, or a clear failure
        f"--Voila.ip={ip}",
        f"--Voila.open_browser={open_browser}",
        f"--template={TEMPLATE}",
        "--theme=light",
        "--VoilaConfiguration.classic_tree=True",  # the landing page is our tree.html
        "--VoilaConfiguration.strip_sources=True",  # no code on the pages
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaExecutor.cell_error_instruction={CELL_ERROR_TEXT}",
        f"--MappingKernelManager.cull_idle_timeout={IDLE_KERNEL_SECONDS}",
        "--MappingKernelManager.cull_interval=60",
        # the login form must not write a password into a config file of the current folder
        "--PasswordIdentityProvider.allow_password_change=False",
        *ipc,  # kernels talk over sockets in Voila's private folder, not over TCP
        *notary,
    ]


def free_port(ip: str = DEFAULT_IP) -> int:
    """A TCP port that is free on ``ip`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def is_loopback(ip: str) -> bool:
    """Whether ``ip`` (an address or a host name) is this machine only (127.x, ::1)."""
    try:
        return ipaddress.ip_address(ip.strip("[]")).is_loopback
    except ValueError:
        return ip.lower() in ("localhost", "localhost.localdomain")


def login_token(environ: dict[str, str] | None = None) -> str:
    """The login token from ``SALESNB_APP_TOKEN``, checked; empty for no login.

    Parameters
    ----------
    environ : dict, optional
        Where to read it (default: ``os.environ``).

    Returns
    -------
    str

    Raises
    ------
    AppError
        When the token is shorter than :data:`MIN_TOKEN_LENGTH` or has spaces (the message
        gives its length only, never the token).
    """
    token = (os.environ if environ is None else environ).get(TOKEN_ENV, "")
    if not token:
        return ""
    if len(token) < MIN_TOKEN_LENGTH or token != token.strip() or any(
            c.isspace() for c in token):
        raise AppError(f"{TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters without "
                       f"spaces (it has {len(token)}); make one with: python -c "
                       "'import secrets; print(secrets.token_urlsafe(24))'")
    return token


def _check_port(ip: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((ip, port))
        except OSError as exc:
            raise AppError(f"cannot listen on {ip}:{port} ({exc.strerror}); another program "
                           f"uses the port: pass another one with --port") from None


def app_scope(scope: str, source: str | Path | None = None) -> tuple[str, str]:
    """Check the app's fixed scope against the data; its text as the data spells it, in words.

    Parameters
    ----------
    scope : str
        ``company``, ``region:<name>``, ``manager:<rep_id>`` or ``rep:<rep_id>`` (the kind and
        the value are matched without regard to case).
    source : str or pathlib.Path, optional
        The data (default: the reports' default source, ``data``).

    Returns
    -------
    tuple of (str, str)
        The scope text (``region:East``) and the scope in words for the landing page
        ("the team of manager James Lee (R003)").

    Raises
    ------
    AppError
        The source cannot be read, or the scope is not one of its scopes (the message names
        the valid scopes).
    """
    from salesnb.report.datacheck import data_values
    from salesnb.scope.model import ScopeError, check_scope

    where = str(source if source is not None else SOURCE.default)
    try:
        path = resolve_source(where)
        choices = data_values(path, kinds=("scope",)).scopes or {}
        kind, value = check_scope(scope, choices)
    except ScopeError as exc:
        raise AppError(f"cannot serve {exc}") from None
    except SalesnbError as exc:
        from salesnb.data.urls import is_url, redact

        shown = redact(where) if is_url(where) else where
        raise AppError(f"--scope {scope!r} cannot be checked against {shown}: {exc}") from None
    if kind == "company":
        return "company", "the whole company"
    name = _rep_name(path, value) if kind in ("manager", "rep") else ""
    who = f"{name} ({value})" if name else value
    words = {"region": f"the {value} region", "manager": f"the team of manager {who}",
             "rep": f"rep {who}"}[kind]
    return f"{kind}:{value}", words


def _rep_name(source: str | Path, rep_id: str) -> str:
    """The name of a rep in the source's reps table ("" when it has none)."""
    from salesnb.core.sql import quote_literal
    from salesnb.data.loader import query

    name = "json_extract_string(to_json(t), '$.name')"
    try:
        frame, _ = query(source, f"SELECT {name} AS name FROM {{reps}} t "
                         f"WHERE CAST(t.rep_id AS VARCHAR) = {quote_literal(rep_id)}",
                         tables=["reps"])
    except SalesnbError:
        return ""
    names = [str(n) for n in frame["name"].dropna()] if "name" in frame.columns else []
    return names[0] if names else ""


def serve(*, port: int = DEFAULT_PORT, ip: str = DEFAULT_IP,
          notebooks_dir: str | Path = NOTEBOOKS_DIR, open_browser: bool = False,
          scope: str | None = None, source: str | Path | None = None) -> int:
    """Run the app in this process until Ctrl-C or SIGTERM; return the exit status.

    Voilà stops every kernel it started before this returns. With a token in
    ``SALESNB_APP_TOKEN`` every browser logs in with it first (the variable is then removed
    from this process's environment, so the kernels do not inherit it); without one on an
    address other than loopback, a warning says that anyone reaching the port sees the
    reports.

    Parameters
    ----------
    port : int, default=8866
        Port to listen on.
    ip : str, default="127.0.0.1"
        Address to listen on.
    notebooks_dir : str or pathlib.Path
        The folder of the report notebooks.
    open_browser : bool, default=False
        Open the landing page in a browser.
    scope : str, optional
        Serve this scope only (``salesnb app --scope``): checked against ``source`` first,
        then given to every kernel in ``SALESNB_APP_SCOPE``; every page shows it, whatever
        its address asks. Default: each page has a scope control.
    source : str or pathlib.Path, optional
        The data ``scope`` is checked against (default: the reports' default source,
        ``data``).

    Returns
    -------
    int
        0 after a clean stop.

    Raises
    ------
    AppError
        When the port is taken, no analysis notebook is found, the token is unusable or the
        scope is not one of the data's.
    """
    specs = analyses(notebooks_dir)
    if not specs:
        raise AppError(f"no analysis notebook of the catalog in {notebooks_dir}")
    token = login_token()
    _check_port(ip, port)
    fixed, words = app_scope(scope, source) if scope is not None else ("", "")
    os.environ.pop(TOKEN_ENV, None)  # read once; kernels and their notebooks never see it
    with _app_environment(fixed), tempfile.TemporaryDirectory(prefix="salesnb-app-") as tmp:
        write_template(tmp, specs, scope_words=words)
        notary = trust_notebooks(Path(tmp) / "notary", notebooks_dir, specs)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            p for p in (tmp, os.environ.get("JUPYTER_PATH", "")) if p)
        for name in (HEADLESS_ENV, ARTIFACTS_ENV):  # kernels are interactive, not a run
            os.environ.pop(name, None)
        # pages after the first skip loading and validating until an export changes
        os.environ.setdefault(DATA_CACHE_ENV, str(outputs_dir() / ".app-cache"))
        from salesnb.extras import require_extra

        require_extra("voila.app", "app")
        from salesnb.app.voila_app import Voila

        login = f"login required: the token in {TOKEN_ENV}" if token else "no login"
        only = f"; scope {fixed} only" if fixed else ""
        sys.stderr.write(f"salesnb app: {len(specs)} analyses at http://{ip}:{port}/ "
                         f"({login}{only}; Ctrl-C stops the app)\n")
        if not is_loopback(ip):
            sys.stderr.write(_exposed_warning(ip, port, token))
        sys.stderr.flush()
        try:
            Voila.launch_instance(argv=voila_argv(notebooks_dir, port=port, ip=ip,
                                                  open_browser=open_browser,
                                                  notary_dir=notary),
                                  token=token)
        except SystemExit as exc:  # Voilà exits on a fatal start-up error
            if exc.code not in (0, None):
                raise AppError(f"Voilà could not start (exit status {exc.code})") from None
        finally:
            Voila.clear_instance()
    return 0


@contextlib.contextmanager
def _app_environment(fixed: str) -> Iterator[None]:
    """Kernels started meanwhile run pages of the app, for ``fixed`` only when it is given.

    ``SALESNB_APP=1`` turns on the pages' scope control; ``SALESNB_APP_SCOPE`` holds the fixed
    scope (removed when there is none, so no value left in the shell fixes one). The previous
    values are back afterwards.
    """
    before = {name: os.environ.get(name) for name in (APP_ENV, APP_SCOPE_ENV)}
    os.environ[APP_ENV] = "1"
    if fixed:
        os.environ[APP_SCOPE_ENV] = fixed
    else:
        os.environ.pop(APP_SCOPE_ENV, None)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _exposed_warning(ip: str, port: int, token: str) -> str:
    """What to tell a person serving the app beyond this machine."""
    if token:
        return (f"salesnb app: note: serving on {ip}:{port} over plain HTTP: the login token "
                "and the reports cross the network unencrypted; put a TLS proxy in front of "
                "the app (or an SSH tunnel) on any network you do not trust\n")
    return (f"salesnb app: WARNING: serving on {ip}:{port} without a login: anyone who can "
            f"reach this port can open the reports (company data) and run their pages. Set "
            f"{TOKEN_ENV} to require a login, or serve the app behind the company's "
            "authenticating proxy\n")


class AppProcess:
    """``salesnb app`` in a child process, for tests, benchmarks and screenshots.

    Use as a context manager: entering starts the app on a free port and waits until it
    answers; leaving stops it with SIGTERM (Voilà then stops its kernels), killing it only if
    it does not stop within ``stop_timeout`` seconds.

    Parameters
    ----------
    port : int, optional
        Port to use (default: a free one).
    ready_timeout : float, default=60
        Seconds to wait for the landing page.
    stop_timeout : float, default=30
        Seconds to wait for a clean stop.
    log : str or pathlib.Path, optional
        File receiving the app's output (default: discarded).
    token : str, optional
        Login token given to the app in ``SALESNB_APP_TOKEN`` (default: no login, whatever
        this process's environment says).
    scope : str, optional
        Serve this scope only (``--scope``).
    source : str or pathlib.Path, optional
        The data the scope is checked against (``--source``).
    """

    def __init__(self, port: int | None = None, *, ready_timeout: float = 60,
                 stop_timeout: float = 30, log: str | Path | None = None,
                 token: str | None = None, scope: str | None = None,
                 source: str | Path | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{DEFAULT_IP}:{self.port}/"
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.log = Path(log) if log else None
        self.token = token
        self.scope = scope
        self.source = source
        self.proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    def start(self) -> AppProcess:
        """Start the app and wait until its landing page answers."""
        out = self.log.open("wb") if self.log else subprocess.DEVNULL
        env = {k: v for k, v in os.environ.items()
               if k not in (HEADLESS_ENV, ARTIFACTS_ENV, TOKEN_ENV, APP_ENV, APP_SCOPE_ENV)}
        if self.token:
            env[TOKEN_ENV] = self.token
        extra = [*(["--scope", self.scope] if self.scope is not None else []),
                 *(["--source", str(self.source)] if self.source is not None else [])]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "salesnb.cli", "app", "--port", str(self.port), *extra],
            stdout=out, stderr=subprocess.STDOUT, env=env)
        if self.log:
            out.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AppError(f"salesnb app exited with status {self.proc.returncode} "
                               f"before it was ready (log: {self.log or 'discarded'})")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise AppError(f"salesnb app did not answer at {self.url} within "
                       f"{self.ready_timeout:g} s")

    def stop(self) -> int | None:
        """Stop the app (SIGTERM, then SIGKILL after ``stop_timeout``); return its status."""
        if self.proc is None or self.proc.poll() is not None:
            self.returncode = None if self.proc is None else self.proc.returncode
            return self.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.returncode = self.proc.returncode
        return self.returncode

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
