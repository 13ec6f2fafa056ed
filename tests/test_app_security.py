"""The app's own surfaces (issue 14, defect 11): the data cache, kernels per session, the login.

- The on-disk data cache holds Arrow files and JSON only: a planted pickle (under the old
  cache name or in place of a cache file) is never loaded, anything corrupt or foreign is
  ignored, loaded again and written over; a round trip gives equal frames and report.
- A browser session may stop or drive only the kernels its own pages started (two sessions
  over HTTP against a real ``salesnb app``).
- ``SALESNB_APP_TOKEN`` turns on the Jupyter server's login; the token never appears in the
  app's output, its pages or its kernels' environment.
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import pickle
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from conftest import child_pids

from salesnb.app import server as app
from salesnb.cli import main
from salesnb.paths import DATA_CACHE_ENV
from salesnb.report import datacache, reporting

TOKEN = "salesnb-test-" + "Zq7vK2mW9xR4tY8p"  # what a team would put in SALESNB_APP_TOKEN


# --------------------------------------------------------------------------- the data cache
class _Planted:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


@pytest.fixture
def cached(tiny, write, tmp_path, monkeypatch):
    """A dirty source (quarantined rows, a table absent), the cache on, and a load counter."""
    tiny["orders"].loc[0, "quantity"] = "abc"  # quarantined
    tiny["reps"].loc[3, "hire_date"] = "2030-01-01"  # after as_of
    del tiny["surveys"]
    src = write(tiny)
    cache = tmp_path / "cache"
    monkeypatch.setenv(DATA_CACHE_ENV, str(cache))
    loads = []
    real = reporting.load
    monkeypatch.setattr(reporting, "load", lambda *a, **k: loads.append(a) or real(*a, **k))

    def get():
        reporting._LOADED.clear()  # a fresh kernel: nothing loaded in this process yet
        return reporting.report_data(str(src), as_of="2026-01-01")

    return get, cache, loads


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith("."))


def assert_same(a, b) -> None:
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(a.report.counts, b.report.counts, check_exact=True)
    pd.testing.assert_frame_equal(a.report.quarantine, b.report.quarantine, check_exact=True)
    assert (a.report.source, a.report.errors, a.report.skipped) == (
        b.report.source, b.report.errors, b.report.skipped)
    assert (a.source, a.as_of, type(a.as_of)) == (b.source, b.as_of, type(b.as_of))
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_cache_round_trip_gives_equal_frames_and_report(cached):
    get, cache, loads = cached
    first = get()
    assert not first.quarantine.empty and "surveys" not in first  # a dirty, partial source
    again = get()
    assert len(loads) == 1  # the second call read the cache
    assert_same(first, again)
    (entry,) = _entries(cache)
    names = sorted(p.name for p in entry.iterdir())
    assert "meta.json" in names and all(
        n == "meta.json" or re.fullmatch(r"frame-\d+\.arrow", n) for n in names)
    meta = json.loads((entry / "meta.json").read_text())
    assert meta["format"] == datacache.CACHE_FORMAT and meta["key"] == entry.name
    assert oct(entry.stat().st_mode & 0o777) == "0o700"  # company data: this user only


def test_a_planted_pickle_is_never_loaded(cached, tmp_path, monkeypatch):
    get, cache, loads = cached
    first = get()
    (entry,) = _entries(cache)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker))
    # the name the earlier versions used, and in place of every file of the entry
    (cache / f"{entry.name}.pickle").write_bytes(payload)
    for f in entry.iterdir():
        f.write_bytes(payload)

    def refuse(*_a, **_k):
        raise AssertionError("the cache unpickled something")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    again = get()
    assert not marker.exists()
    assert len(loads) == 2  # ignored, loaded again
    assert_same(first, again)
    assert not (cache / f"{entry.name}.pickle").exists()  # old-format files are removed
    get()
    assert len(loads) == 2 and not marker.exists()  # written over with a good entry


def _corrupt(kind: str, entry: Path, elsewhere: Path) -> None:
    meta = entry / "meta.json"
    frame = sorted(entry.glob("frame-*.arrow"))[0]
    if kind == "truncated table":
        frame.write_bytes(frame.read_bytes()[:100])
    elif kind == "not json":
        meta.write_text("{not json")
    elif kind == "other format":
        doc = json.loads(meta.read_text())
        meta.write_text(json.dumps({**doc, "format": "salesnb-data-cache/0"}))
    elif kind == "other key":
        doc = json.loads(meta.read_text())
        meta.write_text(json.dumps({**doc, "key": "0" * 32}))
    elif kind == "unknown tag":
        meta.write_text(meta.read_text().replace('"$report"', '"$pickle"', 1))
    elif kind == "path outside":
        elsewhere.write_bytes(frame.read_bytes())
        meta.write_text(meta.read_text().replace(f'"{frame.name}"',
                                                 json.dumps(f"../../{elsewhere.name}"), 1))
    elif kind == "symlinked table":
        elsewhere.write_bytes(frame.read_bytes())
        frame.unlink()
        frame.symlink_to(elsewhere)
    elif kind == "symlinked entry":
        target = elsewhere.with_suffix(".d")
        entry.rename(target)
        entry.symlink_to(target)
    elif kind == "file for entry":
        for f in entry.iterdir():
            f.unlink()
        entry.rmdir()
        entry.write_text("{}")
    elif kind == "fifo":
        frame.unlink()
        os.mkfifo(frame)
    elif kind == "huge meta":
        meta.write_bytes(b" " * (9 * 2**20) + meta.read_bytes())
    else:  # pragma: no cover
        raise ValueError(kind)


@pytest.mark.parametrize("kind", [
    "truncated table", "not json", "other format", "other key", "unknown tag", "path outside",
    "symlinked table", "symlinked entry", "file for entry", "fifo", "huge meta"])
def test_a_corrupt_or_foreign_cache_is_ignored_and_written_over(cached, tmp_path, kind):
    get, cache, loads = cached
    first = get()
    (entry,) = _entries(cache)
    _corrupt(kind, entry, tmp_path / "elsewhere.arrow")
    again = get()
    assert len(loads) == 2, "the corrupt entry should have been ignored"
    assert_same(first, again)
    assert entry.is_dir() and not entry.is_symlink()
    third = get()
    assert len(loads) == 2  # the entry was written over and is read again
    assert_same(first, third)
    assert not [p for p in cache.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_a_value_with_no_data_only_form_is_not_cached(cached, monkeypatch):
    get, cache, loads = cached
    counted = reporting.load

    def odd(*a, **k):
        data = counted(*a, **k)
        data.report.skipped = {"orders": [object()]}  # not JSON, not a frame
        return data

    monkeypatch.setattr(reporting, "load", odd)
    get()
    get()
    assert len(loads) == 2 and not (cache.exists() and _entries(cache))


# --------------------------------------------------------------------------- unit pieces
def test_kernel_owners_answer_only_for_the_session_that_started_the_kernel():
    from salesnb.app.voila_app import KernelOwners

    owners = KernelOwners()
    owners.record("k1", "alice")
    owners.record("k2", "bob")
    owners.record("k3", None)  # no session: nobody may act on it
    assert owners.owns("alice", "k1") and owners.owns("bob", "k2")
    assert not owners.owns("bob", "k1") and not owners.owns("alice", "k2")
    assert not owners.owns(None, "k1") and not owners.owns("alice", "k3")
    assert not owners.owns("alice", "unknown")
    owners.record("k4", "alice", running=lambda: ["k2", "k4"])  # k1 has stopped
    assert not owners.owns("alice", "k1") and owners.owns("bob", "k2")
    owners.forget("k2")
    assert not owners.owns("bob", "k2")


def test_redact_hides_the_token_and_token_parameters():
    from salesnb.app.voila_app import redact

    line = f"404 GET /x?token={TOKEN}&a=1 ({TOKEN})"
    assert TOKEN not in redact(line, TOKEN)
    assert redact("GET /?token=guess&b=2") == "GET /?token=[secret]&b=2"
    assert redact("nothing here", "") == "nothing here"


@pytest.mark.parametrize(("ip", "loopback"), [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("", False), ("::", False), ("10.1.2.3", False), ("myhost", False)])
def test_loopback_addresses(ip, loopback):
    assert app.is_loopback(ip) is loopback


def test_a_short_token_is_refused_without_showing_it(capsys, monkeypatch):
    monkeypatch.setenv(app.TOKEN_ENV, "short-secret")
    assert main(["app", "--port", str(app.free_port())]) == 2
    err = capsys.readouterr().err
    assert "SALESNB_APP_TOKEN must be at least 16 characters" in err and "short-secret" not in err
    assert app.login_token({}) == "" and app.login_token({app.TOKEN_ENV: TOKEN}) == TOKEN


def test_voila_arguments_forbid_changing_the_password_at_login():
    assert "--PasswordIdentityProvider.allow_password_change=False" in app.voila_argv("nb")


@pytest.fixture
def launched(monkeypatch):
    """``salesnb app`` up to Voilà's start: the keyword arguments Voilà would get."""
    from salesnb.app import voila_app

    calls = []
    monkeypatch.setattr(voila_app.Voila, "launch_instance",
                        classmethod(lambda cls, argv=None, **kw: calls.append(
                            (argv, kw, os.environ.get(app.TOKEN_ENV)))))
    monkeypatch.setenv(DATA_CACHE_ENV, "")  # serve() sets it with setdefault: keep it empty
    return calls


def test_serving_beyond_loopback_without_a_login_warns(launched, capsys, monkeypatch):
    monkeypatch.delenv(app.TOKEN_ENV, raising=False)
    assert main(["app", "--ip", "0.0.0.0", "--port", str(app.free_port("0.0.0.0"))]) == 0
    err = capsys.readouterr().err
    assert "WARNING: serving on 0.0.0.0" in err and "without a login" in err
    assert "SALESNB_APP_TOKEN" in err and "(no login;" in err
    assert launched[0][1]["token"] == ""
    assert main(["app", "--port", str(app.free_port())]) == 0  # loopback: no warning
    assert "WARNING" not in capsys.readouterr().err


def test_the_token_goes_to_the_jupyter_login_and_nowhere_else(launched, capsys, monkeypatch):
    monkeypatch.setenv(app.TOKEN_ENV, TOKEN)
    assert main(["app", "--ip", "0.0.0.0", "--port", str(app.free_port("0.0.0.0"))]) == 0
    argv, kwargs, env_during = launched[0]
    assert kwargs["token"] == TOKEN  # the Jupyter server's IdentityProvider.token
    assert not any(TOKEN in a for a in argv)  # not on a command line
    assert env_during is None  # removed before Voilà starts kernels that would inherit it
    err = capsys.readouterr().err
    assert TOKEN not in err and "login required" in err and "without a login" not in err
    assert "unencrypted" in err  # a token over plain HTTP beyond this machine: say so


# --------------------------------------------------------------------------- over HTTP
class _Session:
    """One browser session: its own cookie jar; never follows redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str, *, follow: bool = False) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar)]
        self.opener = urllib.request.build_opener(
            *handlers, *([] if follow else [self._NoRedirect()]))

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def call(self, path: str, method: str = "GET", *, data: dict | None = None,
             headers: dict | None = None, timeout: float = 180):
        headers = dict(headers or {})
        if method != "GET" and self.cookie("_xsrf"):
            headers.setdefault("X-XSRFToken", self.cookie("_xsrf"))
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, method=method, data=body,
                                     headers=headers)
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read().decode(), resp.headers
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), err.headers

    def websocket(self, path: str) -> int:
        """Status of a websocket handshake on ``path`` (101: connected)."""
        url = urllib.parse.urlsplit(self.base)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /{path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   f"Sec-WebSocket-Version: 13\r\nCookie: {cookies}\r\n\r\n")
        with socket.create_connection((url.hostname, url.port), timeout=60) as s:
            s.sendall(request.encode())
            status = s.recv(4096).split(b"\r\n", 1)[0].decode()
        return int(status.split()[1])


def _kernel_of(page: str) -> str:
    return re.search(r'"kernelId": "([0-9a-f-]{36})"', page).group(1)


@pytest.mark.slow
def test_a_session_cannot_stop_or_drive_another_sessions_kernel(tmp_path):
    with app.AppProcess(log=tmp_path / "app.log", ready_timeout=120) as server:
        alice, bob = _Session(server.url), _Session(server.url)
        for s in (alice, bob):  # the landing page gives each its cookies
            assert s.call("")[0] == 200 and s.cookie("_xsrf")
        status, page, _ = alice.call(app.page_path("00_data_quality"))
        assert status == 200
        kernel = _kernel_of(page)
        kernels = child_pids(server.proc.pid)
        assert len(kernels) == 1

        # Bob has his own cookie (and XSRF token) from the landing page, and Alice's kernel id
        assert bob.call(f"api/kernels/{kernel}")[0] == 403
        status, body, _ = bob.call(f"api/kernels/{kernel}", "DELETE")
        assert status == 403 and "another browser session" in body
        assert bob.call(f"voila/api/shutdown/{kernel}", "POST")[0] == 403
        assert bob.websocket(f"api/kernels/{kernel}/channels") == 403
        assert bob.call("api/kernels")[0] == 404  # no list of kernels to pick from
        assert child_pids(server.proc.pid) == kernels  # still running

        # Alice's own page may use it and stop it (what closing her tab does)
        status, model, _ = alice.call(f"api/kernels/{kernel}")
        assert status == 200 and json.loads(model)["id"] == kernel
        assert alice.websocket(f"api/kernels/{kernel}/channels") == 101
        assert alice.call(f"voila/api/shutdown/{kernel}", "POST")[0] == 204
        assert not child_pids(server.proc.pid)
        assert alice.call(f"api/kernels/{kernel}", "DELETE")[0] == 403  # gone, forgotten
    assert server.returncode == 0


@pytest.mark.slow
def test_with_a_token_the_app_asks_for_a_login_and_never_shows_the_token(tmp_path):
    log = tmp_path / "app.log"
    with app.AppProcess(log=log, ready_timeout=120, token=TOKEN) as server:
        anon = _Session(server.url)
        status, _, headers = anon.call("")
        assert status == 302 and headers["Location"].startswith("/login?next=")
        status, _, headers = anon.call(app.page_path("00_data_quality"))
        assert status == 302 and "/login" in headers["Location"]
        assert anon.call("api/kernels/00000000-0000-0000-0000-000000000000")[0] == 403
        assert anon.call("voila/api/shutdown/00000000-0000-0000-0000-000000000000",
                         "POST")[0] == 403
        status, login, _ = anon.call("login")
        assert status == 200 and 'name="password"' in login and "Access token" in login
        status, page, _ = anon.call("login", "POST", data={
            "password": TOKEN[:-1], "_xsrf": anon.cookie("_xsrf")})
        assert status == 401 and "not the access token" in page
        assert anon.call("")[0] == 302  # still not logged in

        user = _Session(server.url, follow=True)
        user.call("login")
        status, landing, _ = user.call("login?next=%2F", "POST", data={
            "password": TOKEN, "_xsrf": user.cookie("_xsrf")})
        assert status == 200 and "salesnb-analyses" in landing
        status, page, _ = user.call(app.page_path("00_data_quality"))
        assert status == 200 and "Data quality" in page
        kernels = child_pids(server.proc.pid)
        assert kernels

        link = _Session(server.url, follow=True)  # a link with the token, as Jupyter's
        status, landing, _ = link.call(f"?token={TOKEN}")
        assert status == 200 and "salesnb-analyses" in landing
        assert link.call(f"voila/render/missing.ipynb?token={TOKEN}")[0] == 404  # logged
        api = _Session(server.url)
        assert api.call("", headers={"Authorization": f"token {TOKEN}"})[0] == 200

        for text in (landing, page, login):
            assert TOKEN not in text
        for pid in kernels:  # the kernels do not inherit it
            assert TOKEN.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert server.returncode == 0, output[-2000:]
    assert "login required" in output and "missing.ipynb?token=[secret]" in output
    assert TOKEN not in output
    assert "?token=..." not in output  # the start-up URL without a token placeholder
