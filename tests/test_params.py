"""Parameter schemas: strict validation, and every notebook's parameters cell matches its schema."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from salesnb.report.catalog import NOTEBOOKS, notebook_spec
from salesnb.report.params import (
    NotebookSpec,
    Param,
    ParameterError,
    coerce,
    parameters_cell_source,
    read_parameters_cell,
    spec_from_notebook,
    validate_params,
)

NB_DIR = ROOT / "notebooks"
SPEC = NotebookSpec("t", "T", "", (
    Param("n", "int", 3, "a count", minimum=1, maximum=10),
    Param("w", "float", 0.5, "a weight", minimum=0, maximum=1),
    Param("flag", "bool", False, "a switch"),
    Param("day", "date", "", "a day", allow_empty=True),
    Param("region", "str", "all", "a region", choices=("all", "North", "South")),
))


@pytest.mark.parametrize(("name", "given", "expected"), [
    ("n", "7", 7), ("n", 7, 7), ("n", 7.0, 7), ("w", "0.25", 0.25), ("w", 1, 1.0),
    ("flag", "yes", True), ("flag", "false", False), ("flag", True, True),
    ("day", "2025-03-01", "2025-03-01"), ("day", "", ""), ("region", "North", "North"),
])
def test_coerce_accepts_and_converts(name, given, expected):
    value = coerce(SPEC.param(name), given)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("name", "given", "fragment"), [
    ("n", "0", "from 1 to 10"), ("n", "11", "too large"), ("n", "2.5", "whole number"),
    ("n", "three", "a whole number"), ("n", True, "a whole number"),
    ("w", "1.5", "from 0 to 1"), ("flag", "maybe", "true or false"),
    ("day", "2025-02-30", "a date like"), ("region", "East", "one of 'all', 'North', 'South'"),
])
def test_coerce_rejects_with_a_clear_message(name, given, fragment):
    with pytest.raises(ParameterError) as err:
        coerce(SPEC.param(name), given, where="t")
    msg = str(err.value)
    assert f"parameter {name}=" in msg and fragment in msg and msg.startswith("t: ")


MANY = Param("regions", "str", (), "regions (empty: all)", choices=("North", "South", "East"),
             allow_empty=True, multiple=True)


@pytest.mark.parametrize(("given", "expected"), [
    ("North,South", ["North", "South"]), (" South , North ,South", ["South", "North"]),
    (["East"], ["East"]), (("North", "East"), ["North", "East"]), ("", []), ((), []),
])
def test_multiple_values_from_text_or_lists(given, expected):
    assert coerce(MANY, given) == expected


def test_multiple_values_are_checked_one_by_one():
    with pytest.raises(ParameterError, match=r"regions='West'.*one of 'North', 'South'"):
        coerce(MANY, "North,West", where="t")
    with pytest.raises(ParameterError, match="empty"):
        coerce(Param("r", "str", ("a",), "", choices=("a",), multiple=True), [])
    with pytest.raises(ParameterError, match="a list"):
        coerce(MANY, 3)
    assert "a list (comma-separated) of one of 'North'" in MANY.allowed()
    spec = NotebookSpec("m", "M", "", (MANY,))
    assert parameters_cell_source(spec) == "regions: list = []  # regions (empty: all)"
    assert validate_params(spec, {"regions": "East"}) == {"regions": ["East"]}
    assert spec.defaults() == {"regions": []}


def test_validate_params_fills_defaults_and_rejects_unknown():
    assert validate_params(SPEC, {"n": "5"}) == {"n": 5, "w": 0.5, "flag": False, "day": "",
                                                 "region": "all"}
    with pytest.raises(ParameterError, match="unknown parameter 'nn'.*n, w, flag, day, region"):
        validate_params(SPEC, {"nn": 1})


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_parameters_cell_matches_schema(name):
    spec = NOTEBOOKS[name]
    path = NB_DIR / f"{name}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert "".join(cell["source"]) == parameters_cell_source(spec)
    assert read_parameters_cell(path) == spec.defaults()
    for p in spec.params:  # defaults themselves pass the schema
        assert coerce(p, p.default) == spec.defaults()[p.name]


def test_every_notebook_is_in_the_catalog():
    assert sorted(p.stem for p in NB_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("path", sorted(NB_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


@pytest.mark.parametrize("path", sorted(NB_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_stay_thin(path):
    """Logic lives in the package: no function or class is defined in a report notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code":
            assert "def " not in src and "class " not in src, src


def test_catalog_lookup_without_prefix():
    assert notebook_spec("data_quality").name == "00_data_quality"
    with pytest.raises(KeyError, match="available: 00_data_quality"):
        notebook_spec("nope")


def test_spec_inferred_from_a_foreign_notebook(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('alpha = 0.5\nname = "x"\nn: int = 3\nok = True')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "other.ipynb"
    nbformat.write(nb, path)
    spec = spec_from_notebook(path)
    assert [(p.name, p.type) for p in spec.params] == [
        ("alpha", "float"), ("name", "str"), ("n", "int"), ("ok", "bool")]
    with pytest.raises(ParameterError, match="alpha"):
        validate_params(spec, {"alpha": "high"})
