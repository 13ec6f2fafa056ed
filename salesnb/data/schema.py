"""The salesnb data model: nine tables, their columns, types and rules, in one place.

Everything that reads or checks data (loaders, validation, the data dictionary in
``data/README.md``, the data-quality report) takes its facts from here.

Types
-----
``str``
    Text; ids are always text, even when they look like numbers.
``int`` / ``float``
    Numbers; an ``int`` column rejects ``3.5``.
``date``
    A calendar date (time of day, if any, is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "FUNNEL",
    "CLOSED",
    "STAGES",
    "Column",
    "ForeignKey",
    "TableSpec",
    "TABLES",
    "TABLE_ORDER",
    "PII_COLUMNS",
    "REGION_KEY",
    "table_spec",
    "data_dictionary",
    "MAIN_DATE",
    "ORDER_MARKS",
    "ORDER_ROLLUP",
    "ORDER_PROFILE",
    "PROFILE",
    "FILLED",
    "DOUBLES",
]

DType = Literal["str", "int", "float", "date"]


@dataclass(frozen=True)
class Column:
    """One column of a salesnb table.

    Parameters
    ----------
    name : str
        Column name after mapping.
    dtype : {"str", "int", "float", "date"}
        Logical type; values that do not parse are quarantined.
    description : str
        One line for the data dictionary.
    required : bool, default=True
        The column must be present in the source file (table unusable otherwise).
    nullable : bool, default=False
        Empty values are allowed. A non-nullable column quarantines rows where it is empty.
    minimum, maximum : float, optional
        Inclusive bounds for numbers.
    choices : tuple of str, optional
        Allowed values for categorical text.
    pii : bool, default=False
        Personal data: kept out of reports unless explicitly asked for.
    not_future : bool, default=True
        For dates: a value after the as-of date is quarantined.
    derived_from : tuple of str, default=()
        A required column that may be absent when these columns are there: it is then
        derived from them on load (see :mod:`salesnb.data.derived`).
    """

    name: str
    dtype: DType
    description: str
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    pii: bool = False
    not_future: bool = True
    derived_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignKey:
    """A reference from ``column`` of one table to the key ``ref_column`` of ``ref_table``."""

    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class TableSpec:
    """One table of the data model.

    Parameters
    ----------
    name : str
        Table name; also the file stem in a source folder (``orders.csv``).
    description : str
        What one row means.
    columns : tuple of Column
        Known columns, in output order.
    key : tuple of str
        Columns whose combined value must be unique (checked when all are present).
    foreign_keys : tuple of ForeignKey
        References checked against the loaded rows of the referenced table.
    revenue_check : bool
        Check ``revenue == quantity * unit_price * (1 - discount)`` within a tolerance.
    date_order : tuple of (str, str)
        Pairs ``(earlier, later)``: when both are set, ``later`` must not precede ``earlier``.
    hierarchy : tuple of (str, str), optional
        ``(key, parent)`` columns of a tree (a rep and their manager): a row whose parent
        chain comes back to it (a rep managing themselves, or a cycle) is quarantined.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    revenue_check: bool = False
    date_order: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    hierarchy: tuple[str, str] | None = None

    @property
    def column_names(self) -> list[str]:
        """Names of all known columns, in order."""
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Names of the columns a source file must have (or, see ``derived_from``, derive)."""
        return [c.name for c in self.columns if c.required]

    def missing_columns(self, present: set[str] | list[str] | dict[str, str]) -> list[str]:
        """The required columns absent from ``present`` that cannot be derived either.

        Parameters
        ----------
        present : collection of str
            The columns a source holds.
        """
        return [c.name for c in self.columns if c.required and c.name not in present
                and not (c.derived_from and all(d in present for d in c.derived_from))]

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (``KeyError`` if unknown)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}; known: {', '.join(self.column_names)}")


C = Column
_RATING = ("A", "B", "C", "D")
#: The customer-development funnel the policy sets out, in order (open stages).
FUNNEL: tuple[str, ...] = ("visit", "needs", "quote", "negotiation", "contract")
#: How an opportunity ends.
CLOSED: tuple[str, ...] = ("won", "lost")
#: Every value ``opportunities.stage`` can take.
STAGES: tuple[str, ...] = FUNNEL + CLOSED

REPS = TableSpec(
    "reps",
    "One person of the sales organisation: the director, a regional manager or a rep.",
    (
        C("rep_id", "str", "Unique id of the person."),
        C("name", "str", "Full name (shown in internal reports: reps are colleagues, not "
          "customers)."),
        C("email", "str", "Work e-mail.", required=False, nullable=True, pii=True),
        C("role", "str", "director, manager or rep.", choices=("director", "manager", "rep")),
        C("manager_id", "str", "rep_id of the line manager (empty for the director).",
          nullable=True),
        C("region", "str", "Sales region managed or worked (empty for the director).",
          nullable=True),
        C("hire_date", "date", "Date of hire."),
        C("status", "str", "active, on_leave or left.", required=False, nullable=True,
          choices=("active", "on_leave", "left")),
        C("specialty", "str", "Product category the person knows best.", required=False,
          nullable=True),
    ),
    key=("rep_id",),
    foreign_keys=(ForeignKey("manager_id", "reps", "rep_id"),),
    hierarchy=("rep_id", "manager_id"),
)

PRODUCTS = TableSpec(
    "products",
    "One product of the catalogue.",
    (
        C("product_id", "str", "Unique product id (SKU)."),
        C("name", "str", "Product name.", required=False, nullable=True),
        C("category", "str", "Product category."),
        C("tier", "str", "Price tier: budget, standard or premium.", required=False,
          nullable=True),
        C("list_price", "float", "List price per unit.", minimum=0),
        C("unit_cost", "float", "Cost per unit.", required=False, nullable=True, minimum=0),
        C("launch_date", "date", "Date the product went on sale.", required=False,
          nullable=True),
    ),
    key=("product_id",),
)

CUSTOMERS = TableSpec(
    "customers",
    "One customer account (a company).",
    (
        C("customer_id", "str", "Unique customer id."),
        C("name", "str", "Company name.", required=False, nullable=True, pii=True),
        C("contact_name", "str", "Main contact person.", required=False, nullable=True,
          pii=True),
        C("email", "str", "Contact e-mail.", required=False, nullable=True, pii=True),
        C("phone", "str", "Contact phone.", required=False, nullable=True, pii=True),
        C("industry", "str", "Industry of the customer.", required=False, nullable=True),
        C("size", "str", "Company size: small, medium, large or enterprise.", required=False,
          nullable=True),
        C("region", "str", "Sales region."),
        C("city", "str", "City.", required=False, nullable=True),
        C("source", "str", "Channel the customer came from.", required=False, nullable=True),
        C("signup_date", "date", "First contract / sign-up date.", required=False,
          nullable=True),
        C("credit_rating", "str", "Credit rating A (best) to D.", required=False,
          nullable=True, choices=_RATING),
        C("owner_rep_id", "str", "rep_id of the account owner.", required=False, nullable=True),
    ),
    key=("customer_id",),
    foreign_keys=(ForeignKey("owner_rep_id", "reps", "rep_id"),),
)

ORDERS = TableSpec(
    "orders",
    "One order line: a product on an order.",
    (
        C("order_id", "str", "Order (invoice) id; shared by the lines of one order."),
        C("line_no", "int", "Line number within the order.", required=False, nullable=True,
          minimum=1),
        C("order_date", "date", "Order date."),
        C("customer_id", "str", "Customer who ordered."),
        C("product_id", "str", "Product ordered."),
        C("rep_id", "str", "Rep credited with the sale.", required=False, nullable=True),
        C("region", "str", "Region of the sale; when absent, the customer's region (else the "
          "rep's).", required=False, nullable=True),
        C("quantity", "float", "Units ordered.", minimum=0),
        C("unit_price", "float", "Price per unit before discount; when absent, derived as "
          "revenue / quantity / (1 - discount).", minimum=0, derived_from=("revenue",
                                                                          "quantity")),
        C("discount", "float", "Discount as a fraction of the price (0.1 = 10 %).",
          required=False, nullable=True, minimum=0, maximum=1),
        C("revenue", "float", "Net revenue = quantity x unit_price x (1 - discount).",
          required=False, nullable=True),
        C("profit", "float", "Gross profit of the line (revenue less the cost of the goods; "
          "negative for a loss), when the export carries it.", required=False, nullable=True),
    ),
    key=("order_id", "line_no"),
    foreign_keys=(
        ForeignKey("customer_id", "customers", "customer_id"),
        ForeignKey("product_id", "products", "product_id"),
        ForeignKey("rep_id", "reps", "rep_id"),
    ),
    revenue_check=True,
)

LEADS = TableSpec(
    "leads",
    "One sales lead, from collection to outcome.",
    (
        C("lead_id", "str", "Unique lead id."),
        C("created_date", "date", "Date the lead was collected."),
        C("source", "str", "Collection channel (market_research, online, referral, event).",
          required=False, nullable=True),
        C("industry", "str", "Industry of the prospect.", required=False, nullable=True),
        C("size", "str", "Company size of the prospect.", required=False, nullable=True),
        C("region", "str", "Region of the prospect.", required=False, nullable=True),
        C("budget", "float", "Stated purchasing budget.", required=False, nullable=True,
          minimum=0),
        C("credit_rating", "str", "Credit rating A (best) to D.", required=False,
          nullable=True, choices=_RATING),
        C("needs_score", "int", "Needs fit from the screening call, 1 (none) to 5 (urgent).",
          required=False, nullable=True, minimum=1, maximum=5),
        C("website_visits", "int", "Website visits so far.", required=False, nullable=True,
          minimum=0),
        C("email_opens", "int", "Marketing e-mails opened.", required=False, nullable=True,
          minimum=0),
        C("events_attended", "int", "Events or webinars attended.", required=False,
          nullable=True, minimum=0),
        C("last_activity_date", "date", "Last engagement of the prospect.", required=False,
          nullable=True),
        C("assigned_rep_id", "str", "Rep the lead is assigned to.", required=False,
          nullable=True),
        C("status", "str", "open, converted or lost.", choices=("open", "converted", "lost")),
        C("outcome_date", "date", "Date converted or lost (known only after the outcome).",
          required=False, nullable=True),
        C("customer_id", "str", "Customer the lead became (only after conversion).",
          required=False, nullable=True),
    ),
    key=("lead_id",),
    foreign_keys=(
        ForeignKey("assigned_rep_id", "reps", "rep_id"),
        ForeignKey("customer_id", "customers", "customer_id"),
    ),
    date_order=(("created_date", "outcome_date"),),
)

OPPORTUNITIES = TableSpec(
    "opportunities",
    "One sales opportunity moving through the customer-development funnel.",
    (
        C("opportunity_id", "str", "Unique opportunity id."),
        C("customer_id", "str", "Customer the deal is with."),
        C("lead_id", "str", "Lead it came from, if any.", required=False, nullable=True),
        C("rep_id", "str", "Rep who owns the deal."),
        C("created_date", "date", "Date the opportunity was opened."),
        C("stage", "str", "Current or final stage.", choices=STAGES),
        C("amount", "float", "Expected or final deal amount.", minimum=0),
        C("visit_date", "date", "Date of the first visit.", required=False, nullable=True),
        C("needs_date", "date", "Date of the needs analysis.", required=False, nullable=True),
        C("quote_date", "date", "Date the quote was sent.", required=False, nullable=True),
        C("negotiation_date", "date", "Date negotiation started.", required=False,
          nullable=True),
        C("contract_date", "date", "Date the contract was sent.", required=False,
          nullable=True),
        C("closed_date", "date", "Date won or lost.", required=False, nullable=True),
        C("lost_reason", "str", "Why the deal was lost.", required=False, nullable=True),
    ),
    key=("opportunity_id",),
    foreign_keys=(
        ForeignKey("customer_id", "customers", "customer_id"),
        ForeignKey("rep_id", "reps", "rep_id"),
        ForeignKey("lead_id", "leads", "lead_id"),
    ),
    date_order=(("created_date", "closed_date"),),
)

TARGETS = TableSpec(
    "targets",
    "The KPI targets of one rep for one month.",
    (
        C("rep_id", "str", "Rep the targets belong to."),
        C("period", "date", "First day of the month.", not_future=False),
        C("revenue_target", "float", "Revenue target for the month.", minimum=0),
        C("new_customers_target", "int", "New customers to win.", required=False,
          nullable=True, minimum=0),
        C("satisfaction_target", "float", "Average survey score to reach (1-5).",
          required=False, nullable=True, minimum=0, maximum=10),
    ),
    key=("rep_id", "period"),
    foreign_keys=(ForeignKey("rep_id", "reps", "rep_id"),),
)

SURVEYS = TableSpec(
    "surveys",
    "One after-sales satisfaction survey answer.",
    (
        C("survey_id", "str", "Unique survey id.", required=False, nullable=True),
        C("customer_id", "str", "Customer who answered."),
        C("rep_id", "str", "Rep who served the customer.", required=False, nullable=True),
        C("survey_date", "date", "Date of the answer."),
        C("service", "str", "Service surveyed (delivery, installation, support, training).",
          required=False, nullable=True),
        C("score", "int", "Satisfaction score (1-5 in the sample; up to 10 accepted).",
          minimum=0, maximum=10),
    ),
    key=("survey_id",),
    foreign_keys=(
        ForeignKey("customer_id", "customers", "customer_id"),
        ForeignKey("rep_id", "reps", "rep_id"),
    ),
)

COMPETITORS = TableSpec(
    "competitors",
    "A market estimate: one competitor's revenue in a region and category for a period.",
    (
        C("period", "date", "First day of the period (quarter)."),
        C("region", "str", "Sales region."),
        C("category", "str", "Product category."),
        C("competitor", "str", "Competitor name."),
        C("estimated_revenue", "float", "Estimated revenue in the period.", minimum=0),
    ),
    key=("period", "region", "category", "competitor"),
)

#: Tables in load order: a table's foreign keys point only to tables before it (or itself).
TABLE_ORDER: tuple[str, ...] = (
    "reps",
    "products",
    "customers",
    "leads",
    "orders",
    "opportunities",
    "targets",
    "surveys",
    "competitors",
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (REPS, PRODUCTS, CUSTOMERS, LEADS, ORDERS, OPPORTUNITIES, TARGETS, SURVEYS,
              COMPETITORS)
}
TABLES = {name: TABLES[name] for name in TABLE_ORDER}

#: ``{table: [columns]}`` holding personal data.
PII_COLUMNS: dict[str, list[str]] = {
    t.name: [c.name for c in t.columns if c.pii] for t in TABLES.values() if any(
        c.pii for c in t.columns)
}

#: The column that places a row of each table in a region, where there is one.
REGION_KEY: dict[str, str] = {"reps": "region", "customers": "region", "orders": "region",
                              "leads": "region", "competitors": "region"}


def table_spec(name: str) -> TableSpec:
    """Return the spec of table ``name``.

    Raises
    ------
    KeyError
        With the list of known tables, when ``name`` is not one.
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; salesnb tables are: {', '.join(TABLES)}") from None


def data_dictionary() -> str:
    """Return the data model as Markdown tables, one section per table.

    ``data/README.md`` embeds this text; a test keeps the two identical.

    Returns
    -------
    str
        Markdown.
    """
    lines: list[str] = []
    for spec in TABLES.values():
        lines += [f"### `{spec.name}`", "", spec.description, ""]
        if spec.key:
            lines.append(f"Key: {' + '.join(f'`{k}`' for k in spec.key)}.")
        if spec.foreign_keys:
            refs = ", ".join(f"`{fk.column}` -> `{fk.ref_table}.{fk.ref_column}`"
                             for fk in spec.foreign_keys)
            lines.append(f"References: {refs}.")
        lines += ["", "| column | type | required | rules | description |",
                  "|---|---|---|---|---|"]
        for c in spec.columns:
            rules = []
            if not c.nullable:
                rules.append("not empty")
            if c.minimum is not None:
                rules.append(f">= {c.minimum:g}")
            if c.maximum is not None:
                rules.append(f"<= {c.maximum:g}")
            if c.choices:
                rules.append("one of " + "/".join(c.choices))
            if c.dtype == "date" and c.not_future:
                rules.append("not after as-of")
            if c.pii:
                rules.append("personal data")
            req = ("yes" if not c.derived_from else
                   f"yes, or {' and '.join(c.derived_from)}") if c.required else "no"
            lines.append(f"| `{c.name}` | {c.dtype} | {req} | {', '.join(rules)} | "
                         f"{c.description} |")
        lines.append("")
    return "\n".join(lines)


#: The grain reports that read order lines only as sums take them at: summed per day and
#: these keys inside the engine (:func:`salesnb.engine.engine_data`), so no line reaches
#: pandas one by one (the forecast, lead-scoring and assessment reports).
ORDER_ROLLUP: tuple[str, ...] = ("order_date", "region", "product_id", "rep_id")
#: Counts per order and per customer that order lines summed in the engine can carry
#: (:func:`salesnb.engine.rolled_orders` with ``marks=True``), so that a sum over any of the
#: rows gives what the lines would: ``order_count`` (orders, per order and rep, each counted
#: on its first line), ``order_sq`` (the square of that order's revenue, on the same line)
#: and ``new_customers`` (each customer's first line of all, by day, order and line).
ORDER_MARKS: tuple[str, ...] = ("order_count", "order_sq", "new_customers")
#: The grain the data-quality report takes order lines at: counted per day, region and rep
#: inside the engine (:func:`salesnb.engine.rolled_orders` with ``profile=True``), each row
#: with its lines' filled values per column (:data:`FILLED`) and possible double entries
#: (:data:`DOUBLES`), so completeness, double entries, freshness and volumes are the lines'.
ORDER_PROFILE: tuple[str, ...] = ("order_date", "region", "rep_id")
#: The grain of every table the data-quality report counts in the engine
#: (:func:`salesnb.engine.profiled`): its main date and the columns a scope filters it by.
#: The other tables are fetched whole: counted, they would hold about as many rows, as the
#: customers, opportunities and surveys are kept (or placed) per customer.
PROFILE: dict[str, tuple[str, ...]] = {
    "orders": ORDER_PROFILE,
    "leads": ("created_date", "region", "assigned_rep_id", "status"),
}
#: Prefix of a profiled table's columns counting the filled values of a column of its lines
#: (``filled_discount``: the lines with a discount).
FILLED = "filled_"
#: Column of a profiled table counting lines identical to an earlier line in every column
#: but the table's key (possible double entries, as ``DataFrame.duplicated`` counts them).
DOUBLES = "double_entries"


#: The date that places a row of each table in time (for freshness and volumes).
MAIN_DATE: dict[str, str] = {
    "reps": "hire_date",
    "products": "launch_date",
    "customers": "signup_date",
    "leads": "created_date",
    "orders": "order_date",
    "opportunities": "created_date",
    "targets": "period",
    "surveys": "survey_date",
    "competitors": "period",
}
