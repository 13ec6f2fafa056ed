"""``--show-pii``: the lists that name people show names and contacts with it, none without.

The segmentation report (follow-ups, the action list on the page and in its Excel file) and
the lead report (the proposed assignment) run twice on a small synthetic dataset through
``salesnb run``: without the flag no customer name, contact person, e-mail or phone and no rep
e-mail reaches a page or an export; with it, the action list names the customers and says whom
to call. Reps are colleagues: their names are shown beside their ids either way.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from salesnb.cli import main
from salesnb.data.sample import write_sample
from salesnb.leads.views import with_rep_names
from salesnb.segments.views import CONTACTS, with_contacts

REPORTS = ["01_lead_scoring", "03_customer_segmentation"]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, scale=0.05)
    return folder


def _run(source: Path, out: Path, *flags: str) -> Path:
    code = main(["run", *REPORTS, "--source", str(source), "--out", str(out), "--jobs", "2",
                 "-q", *flags])
    assert code == 0
    return (out / "latest").resolve()


@pytest.fixture(scope="module")
def without_pii(source, tmp_path_factory) -> Path:
    return _run(source, tmp_path_factory.mktemp("ids-only"))


@pytest.fixture(scope="module")
def with_pii(source, tmp_path_factory) -> Path:
    return _run(source, tmp_path_factory.mktemp("named"), "--show-pii")


def _people(source: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.read_csv(source / "customers.csv", dtype=str),
            pd.read_csv(source / "reps.csv", dtype=str))


def _personal(source: Path) -> list[str]:
    customers, reps = _people(source)
    values = [*customers[list(CONTACTS)].stack(), *reps["email"].dropna()]
    colleagues = set(reps["name"])  # shown by design; a contact may share a rep's name
    return sorted({v for v in values if isinstance(v, str) and len(v) > 3
                   and v not in colleagues})


def _texts(run_dir: Path) -> dict[str, str]:
    """Every page of a run, and every export as the text of its cells."""
    out = {p.name: html.unescape(p.read_text(encoding="utf-8"))
           for p in run_dir.glob("*.html")}
    for book in run_dir.glob("*.xlsx"):
        sheets = pd.read_excel(book, sheet_name=None, dtype=str)
        out[book.name] = "\n".join(f.to_csv(index=False) for f in sheets.values())
    return out


@pytest.mark.slow
def test_without_show_pii_no_name_or_contact_appears(source, without_pii):
    secrets = _personal(source)
    texts = _texts(without_pii)
    assert "actions_for_reps.xlsx" in texts
    for name, text in texts.items():
        leaked = [s for s in secrets if s in text]
        assert leaked == [], (name, leaked[:3])
    listed = pd.read_excel(without_pii / "actions_for_reps.xlsx")
    assert not set(CONTACTS) & set(listed.columns)


@pytest.mark.slow
def test_with_show_pii_the_action_list_names_customers_and_contacts(source, with_pii):
    customers, _ = _people(source)
    listed = pd.read_excel(with_pii / "actions_for_reps.xlsx")
    assert list(listed.columns[1:1 + len(CONTACTS)]) == list(CONTACTS)
    expected = customers.set_index("customer_id").loc[listed["customer_id"], "email"]
    assert listed["email"].tolist() == expected.tolist()
    page = html.unescape((with_pii / "03_customer_segmentation.html").read_text(
        encoding="utf-8"))
    top = listed.head(15)  # the page lists the most urgent customers
    assert all(n in page for n in top["name"]) and all(e in page for e in top["email"])
    assert "names and contacts" in page  # the note says the file holds personal data


@pytest.mark.slow
def test_the_assignment_names_the_reps_with_or_without_show_pii(source, with_pii,
                                                                without_pii):
    _, reps = _people(source)
    sellers = reps.loc[reps["role"] == "rep", "name"]
    for run in (with_pii, without_pii):
        page = html.unescape((run / "01_lead_scoring.html").read_text(encoding="utf-8"))
        assert any(n in page for n in sellers)


def test_with_contacts_adds_what_was_loaded_after_the_id():
    follow = pd.DataFrame({"customer_id": ["C2", "C1"], "segment": ["Champions", "At risk"]})
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["Acme", "Beta"],
                              "email": ["a@x", "b@x"], "region": ["N", "S"]})
    out = with_contacts(follow, customers)
    assert list(out.columns) == ["customer_id", "name", "email", "segment"]
    assert out["name"].tolist() == ["Beta", "Acme"]
    ids_only = customers.drop(columns=["name", "email"])  # what report_data keeps without PII
    pd.testing.assert_frame_equal(with_contacts(follow, ids_only), follow)
    pd.testing.assert_frame_equal(with_contacts(follow, None), follow)


def test_with_rep_names_only_when_names_were_loaded():
    assigned = pd.DataFrame({"lead_id": ["L1", "L2"], "rep_id": ["R2", "R1"], "value": [1, 2]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"]})
    out = with_rep_names(assigned, reps)
    assert list(out.columns) == ["lead_id", "rep_id", "rep name", "value"]
    assert out["rep name"].tolist() == ["Bo", "Ann"]
    pd.testing.assert_frame_equal(with_rep_names(assigned, reps[["rep_id"]]), assigned)
