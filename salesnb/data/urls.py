"""Database URLs as a source: recognise one, show it without its password, split out the schema.

Light on purpose (the standard library only): the runner, the app and the paths check a
source with it before anything heavy is imported. :mod:`salesnb.data.postgres` reads and
writes the database itself.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit, urlunsplit

from salesnb.errors import SourceError

__all__ = ["is_url", "redact", "move_password", "split_url"]

_SCHEMES = ("postgresql", "postgres")


def is_url(source: object) -> bool:
    """Whether ``source`` is a PostgreSQL URL.

    Parameters
    ----------
    source : object
        What a caller passed as a source.

    Returns
    -------
    bool
        True for ``postgresql://...`` and ``postgres://...``.
    """
    return isinstance(source, str) and source.split("://", 1)[0].lower() in _SCHEMES \
        and "://" in source


def redact(url: str) -> str:
    """The URL without its password (and without any query argument named like one).

    Parameters
    ----------
    url : str
        A PostgreSQL URL.

    Returns
    -------
    str
        ``postgresql://user@host:port/db?schema=s``: what messages, logs and manifests show.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = (f"{parts.username}@" if parts.username else "") + host
    if parts.port:
        netloc += f":{parts.port}"
    query = "&".join(f"{k}={v[0]}" for k, v in parse_qs(parts.query).items()
                     if not re.search(r"pass|secret|token", k, re.I))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def move_password(url: str) -> str:
    """Move the URL's password into ``PGPASSWORD`` and give back the URL without it.

    For work handed to other processes (report kernels, the app's pages): they connect with
    the returned URL and find the password where libpq looks next, in the environment they
    inherit, so it is never written into a notebook's parameters, a manifest or a page.

    Parameters
    ----------
    url : str
        A PostgreSQL URL, with or without a password.

    Returns
    -------
    str
        :func:`redact` of the URL (the URL itself when it has no password).

    Raises
    ------
    SourceError
        When ``PGPASSWORD`` already holds another password (two databases with different
        passwords in one run): give one of them through ``~/.pgpass``.
    """
    import os
    from urllib.parse import unquote

    password = urlsplit(url).password
    if password is None:
        return redact(url)
    password = unquote(password)
    held = os.environ.get("PGPASSWORD")
    if held is not None and held != password:
        raise SourceError(f"{redact(url)}: PGPASSWORD holds another password; give one of "
                          "the databases its password through ~/.pgpass instead")
    os.environ["PGPASSWORD"] = password
    return redact(url)


def split_url(url: str) -> tuple[str, str]:
    """Split a source URL into the libpq connection URL and the schema.

    Parameters
    ----------
    url : str
        ``postgresql://...[?schema=name]``.

    Returns
    -------
    tuple of (str, str)
        The URL without the ``schema`` argument (password kept: for libpq only, never to
        show), and the schema (``"public"`` when not given).
    """
    parts = urlsplit(url)
    args = parse_qs(parts.query)
    schema = args.pop("schema", ["public"])[0]
    query = "&".join(f"{k}={v[0]}" for k, v in args.items())
    return urlunsplit(("postgresql", parts.netloc, parts.path, query, "")), schema
