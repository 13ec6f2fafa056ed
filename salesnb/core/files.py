"""Reading the small YAML files a user writes (column mappings, bonus plans, parameters)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from salesnb.errors import SalesnbError

__all__ = ["parse_yaml", "read_yaml"]


class _Yaml12Loader(yaml.SafeLoader):
    """A safe loader where only true/false are booleans (YAML 1.2), so yes/no stay text."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def parse_yaml(text: str, *, origin: str = "YAML", error: type[SalesnbError] = SalesnbError
               ) -> Any:
    """Parse YAML text safely: no tags that build objects, ``yes``/``no`` stay text.

    Parameters
    ----------
    text : str
        The YAML document.
    origin : str, default "YAML"
        Where the text came from (a file name), for the message.
    error : type of SalesnbError, default SalesnbError
        The error class to raise (e.g. ``MappingError`` for a column mapping).

    Returns
    -------
    Any
        The parsed document (``None`` for an empty one).

    Raises
    ------
    SalesnbError
        Of class ``error``, naming ``origin`` and the line of the problem.
    """
    try:
        return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{origin}: not valid YAML{where}: {problem}") from None


def read_yaml(path: str | Path, *, error: type[SalesnbError] = SalesnbError) -> Any:
    """Read a YAML file with :func:`parse_yaml`.

    Parameters
    ----------
    path : str or Path
        The file.
    error : type of SalesnbError, default SalesnbError
        The error class to raise.

    Returns
    -------
    Any
        The parsed document.

    Raises
    ------
    SalesnbError
        Of class ``error`` when the file cannot be read or is not valid YAML.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot be read ({exc.__class__.__name__}: "
                    f"{getattr(exc, 'strerror', None) or exc})") from None
    return parse_yaml(text, origin=str(path), error=error)
