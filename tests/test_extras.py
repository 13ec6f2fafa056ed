"""Optional dependencies: a missing extra says which one to install."""

from __future__ import annotations

import pytest

from salesnb.errors import SalesnbError
from salesnb.extras import EXTRAS, MissingExtraError, has_extra, require_extra


def test_an_installed_module_is_returned():
    assert require_extra("json", "app").dumps([1]) == "[1]"


def test_a_missing_extra_names_the_pip_command(monkeypatch):
    with pytest.raises(MissingExtraError) as err:
        require_extra("salesnb_no_such_package.sub", "assign")
    assert isinstance(err.value, SalesnbError) and isinstance(err.value, ImportError)
    assert "pip install 'salesnb[assign]'" in str(err.value)
    assert "salesnb_no_such_package" in str(err.value)
    assert EXTRAS["assign"][1] in str(err.value)


def test_a_broken_dependency_of_an_installed_module_is_not_hidden(tmp_path, monkeypatch):
    (tmp_path / "salesnb_fake_extra.py").write_text("import salesnb_missing_inner_dep\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as err:
        require_extra("salesnb_fake_extra", "app")
    assert not isinstance(err.value, MissingExtraError)
    assert err.value.name == "salesnb_missing_inner_dep"


def test_has_extra():
    assert has_extra("app") is True  # the dev environment installs every extra
    assert set(EXTRAS) == {"app", "lab", "assign", "postgres", "spark", "pdf"}
    assert has_extra("postgres") is True
