"""Deterministic synthetic sales data for the salesnb workbench.

The generator simulates a small B2B company that sells IT equipment, software and
supplies through a regional sales organisation, from 2023-01-01 to 2025-12-31. The data
is built so that the usual sales analyses find real structure in it:

* customers buy at heavy-tailed rates that depend on size and industry; some churn,
  some grow or shrink, new customers ramp up after signing up;
* order volume trends upwards, with yearly seasonality (summer dip, strong Q4),
  weekly seasonality (few weekend orders) and peaks (spring promotion week, Black
  Friday to Cyber Monday, pre-Christmas, quarter-end pushes);
* discounts are larger for larger customers, for lax reps and during promotions, and a
  discount raises the quantity bought (price elasticity);
* category preferences differ by industry and region; customers of large size prefer
  premium products;
* a hidden skill per rep drives customer growth and churn, discount discipline, lead
  conversion, opportunity win rate and survey scores;
* lead conversion depends non-linearly on source, budget (threshold, diminishing
  returns), credit rating, needs score and engagement (which only helps when the
  budget is there);
* opportunities run through the funnel visit -> needs -> quote -> negotiation ->
  contract -> won/lost with stage drop-off and durations that grow with the amount;
* targets are set from each rep's prior-year revenue plus growth;
* competitor estimates give a market share that differs by region and category.

Everything depends only on ``seed`` and ``scale`` (never on today's date). Order lines
are generated month by month from per-month random streams
(:class:`numpy.random.SeedSequence` ``spawn``), so :func:`write_sample` can write them in
chunks with bounded memory and :func:`generate` returns exactly the same data.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salesnb.data.schema import TABLE_ORDER, TABLES

__all__ = [
    "DEFAULT_SEED", "START", "END", "TABLE_NAMES", "COLUMNS", "generate", "write_sample",
]

DEFAULT_SEED = 42
START = datetime.date(2023, 1, 1)
END = datetime.date(2025, 12, 31)

#: The nine tables, in the order they are written (the data model's load order).
TABLE_NAMES: tuple[str, ...] = TABLE_ORDER

# The sample sells whole units; the data model also accepts fractional quantities (kg, hours).
_WHOLE_NUMBERS = {("orders", "quantity")}

#: Columns of every table with their logical type ("str", "int", "float" or "date"), taken
#: from the data model in :mod:`salesnb.schema`.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    name: tuple((c.name, "int" if (name, c.name) in _WHOLE_NUMBERS else c.dtype)
                for c in spec.columns)
    for name, spec in TABLES.items()
}

# --------------------------------------------------------------------------- constants

_EPOCH = datetime.date(1970, 1, 1)
_D0 = (START - _EPOCH).days  # START as days since the Unix epoch
_N_DAYS = (END - START).days + 1  # 1096
_NAT = np.iinfo(np.int64).min  # int64 view of NaT: "no date"
_NEVER = 10**6  # day index (relative to START) meaning "never happens"
_CHUNK_ROWS = 100_000  # rows per written slice of the customers, leads, ... tables
_N_MONTHS = 36

_REGIONS = ("North", "South", "East", "West", "Central")
_REGION_P = np.array([0.22, 0.18, 0.26, 0.20, 0.14])
_CITIES = (
    ("Minneapolis", "Milwaukee", "Detroit"),
    ("Atlanta", "Dallas", "Nashville", "Miami"),
    ("Boston", "New York", "Philadelphia"),
    ("Seattle", "San Francisco", "Denver", "Los Angeles"),
    ("Kansas City", "St. Louis", "Omaha"),
)
_INDUSTRIES = (
    "Retail", "Manufacturing", "Healthcare", "Finance", "Education", "Technology", "Logistics",
)
_INDUSTRY_P = np.array([0.18, 0.17, 0.13, 0.12, 0.10, 0.16, 0.14])
_INDUSTRY_RATE = np.array([1.3, 1.15, 0.9, 0.85, 0.7, 1.1, 1.0])
_SIZES = ("small", "medium", "large", "enterprise")
_SIZE_P = np.array([0.50, 0.30, 0.15, 0.05])
_SOURCES = ("market_research", "online", "referral", "event")
_CREDIT = ("A", "B", "C", "D")
_CREDIT_P = np.array([  # by size
    [0.20, 0.40, 0.27, 0.13],
    [0.30, 0.40, 0.20, 0.10],
    [0.40, 0.38, 0.15, 0.07],
    [0.50, 0.35, 0.10, 0.05],
])
_CATEGORIES = ("Computers", "Networking", "Security", "Software", "Printing", "Accessories")
_TIERS = ("budget", "standard", "premium")
_STAGES = ("visit", "needs", "quote", "negotiation", "contract")
_LOST_REASONS = ("price", "competitor", "timing", "no_budget", "no_decision")
_SERVICES = ("delivery", "installation", "support", "training")
_COMPETITORS = ("Apex Systems", "BlueRiver Tech", "Cobalt Supply", "Delta Digital")

# name, category index, tier index, reference list price, base quantity per line
_CATALOGUE: tuple[tuple[str, int, int, float, float], ...] = (
    ("Laptop Lite 13", 0, 0, 649.0, 3.0),
    ("Laptop Pro 14", 0, 1, 1299.0, 2.5),
    ("Laptop Ultra 16", 0, 2, 2399.0, 2.0),
    ("Desktop Basic", 0, 0, 549.0, 3.0),
    ("Desktop Workstation", 0, 2, 2899.0, 1.5),
    ("Thin Client T2", 0, 0, 349.0, 4.0),
    ("All-in-One 24", 0, 1, 1099.0, 2.0),
    ("Switch 8-Port", 1, 0, 89.0, 3.0),
    ("Switch 24-Port Managed", 1, 1, 749.0, 1.5),
    ("Core Switch 48X", 1, 2, 5900.0, 1.0),
    ("Wi-Fi Access Point AX", 1, 1, 329.0, 4.0),
    ("Wi-Fi Mesh Kit", 1, 0, 249.0, 2.0),
    ("Edge Router R5", 1, 1, 899.0, 1.2),
    ("SD-WAN Appliance", 1, 2, 4200.0, 1.0),
    ("Firewall F100", 2, 1, 1490.0, 1.0),
    ("Firewall F900", 2, 2, 8900.0, 1.0),
    ("Endpoint Protection (seat)", 2, 0, 45.0, 15.0),
    ("IP Camera 4K", 2, 1, 389.0, 4.0),
    ("Access Control Kit", 2, 2, 2600.0, 1.0),
    ("Security Audit Pack", 2, 1, 3500.0, 1.0),
    ("Office Suite (seat)", 3, 0, 120.0, 12.0),
    ("CRM Cloud (seat)", 3, 1, 540.0, 8.0),
    ("ERP Module", 3, 2, 9800.0, 1.0),
    ("Backup Cloud 1TB", 3, 0, 99.0, 5.0),
    ("Analytics Platform", 3, 2, 6400.0, 1.0),
    ("Collaboration Suite (seat)", 3, 1, 180.0, 10.0),
    ("Device Management (seat)", 3, 0, 36.0, 15.0),
    ("Laser Printer Mono", 4, 0, 279.0, 2.0),
    ("Color Laser MFP", 4, 1, 1190.0, 1.2),
    ("Production Printer", 4, 2, 14500.0, 1.0),
    ("Toner Pack", 4, 0, 119.0, 6.0),
    ("Label Printer", 4, 0, 199.0, 2.0),
    ("Wide-Format Plotter", 4, 2, 5200.0, 1.0),
    ("Wireless Mouse", 5, 0, 29.0, 10.0),
    ("Keyboard Pro", 5, 0, 79.0, 8.0),
    ("USB-C Dock", 5, 1, 219.0, 5.0),
    ("27in Monitor", 5, 1, 329.0, 4.0),
    ("4K Monitor 32in", 5, 2, 899.0, 3.0),
    ("Headset Noise-Cancel", 5, 1, 249.0, 5.0),
    ("Laptop Backpack", 5, 0, 59.0, 6.0),
)

# preference of each industry for each category (rows: industries, cols: categories)
_INDUSTRY_CAT = np.array([
    [1.0, 0.8, 1.4, 0.9, 1.3, 1.4],  # Retail
    [1.1, 1.2, 1.0, 0.8, 1.4, 0.8],  # Manufacturing
    [1.0, 0.9, 1.5, 1.2, 1.1, 0.8],  # Healthcare
    [1.2, 1.0, 1.6, 1.4, 0.8, 0.9],  # Finance
    [1.5, 1.1, 0.7, 1.1, 1.0, 1.2],  # Education
    [1.4, 1.5, 1.1, 1.6, 0.5, 1.0],  # Technology
    [0.9, 1.3, 1.0, 0.9, 1.5, 0.9],  # Logistics
])
_REGION_CAT = np.array([
    [1.1, 1.0, 0.9, 1.0, 1.2, 1.0],  # North
    [1.0, 0.9, 1.2, 0.8, 1.1, 1.2],  # South
    [1.0, 1.1, 1.1, 1.3, 0.8, 0.9],  # East
    [1.2, 1.3, 0.9, 1.2, 0.7, 1.0],  # West
    [0.9, 0.8, 1.0, 0.8, 1.4, 1.1],  # Central
])
_SIZE_TIER = np.array([  # preference of each size for each tier
    [1.6, 1.0, 0.35],
    [1.1, 1.2, 0.7],
    [0.8, 1.1, 1.2],
    [0.6, 1.0, 1.6],
])
_MONTH_FACTOR = np.array([0.86, 0.90, 1.05, 1.00, 1.00, 0.90, 0.76, 0.70, 1.02, 1.10, 1.18, 1.22])
_WEEKDAY_FACTOR = np.array([0.95, 1.06, 1.06, 1.02, 0.91, 0.06, 0.03])  # Monday first
_PRICE_INDEX = np.array([0.93, 0.965, 1.0])  # list price level in 2023, 2024, 2025

_FIRST = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra",
    "Mark", "Ashley", "Kevin", "Emily", "Brian", "Michelle", "Omar", "Aisha", "Wei", "Mei",
    "Raj", "Priya", "Diego", "Sofia", "Lukas", "Ingrid", "Kenji", "Yuki", "Samuel", "Grace",
)
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Chen",
    "Patel", "Kim", "Novak", "Schmidt", "Rossi",
)
_CO_PREFIX = (
    "North", "Blue", "Summit", "Silver", "Granite", "Pioneer", "Evergreen", "Harbor", "Iron",
    "Golden", "Prairie", "Redwood", "Crescent", "Atlas", "Beacon", "Cedar", "Keystone",
    "Lakeside", "Maple", "Orion", "Pinnacle", "Riverside", "Sterling", "Sunrise", "Vertex",
    "Westfield", "Bright", "Coastal", "Eagle", "Falcon", "Liberty", "Metro", "Oak", "Union",
)
_CO_CORE = {
    "Retail": ("Outfitters", "Markets", "Home Goods", "Boutiques", "Grocers", "Apparel"),
    "Manufacturing": ("Fabrication", "Components", "Machining", "Plastics", "Tooling",
                      "Industries"),
    "Healthcare": ("Health", "Medical", "Clinics", "Care", "Dental", "Diagnostics"),
    "Finance": ("Capital", "Financial", "Insurance", "Credit Union", "Advisors", "Bancorp"),
    "Education": ("Academy", "Learning", "School District", "College", "Institute",
                  "Tutoring"),
    "Technology": ("Software", "Labs", "Data", "Networks", "Digital", "Systems"),
    "Logistics": ("Logistics", "Freight", "Transport", "Shipping", "Warehousing", "Express"),
}
_CO_SUFFIX = ("Inc", "LLC", "Co", "Group", "Partners", "Ltd", "Corp", "")


# --------------------------------------------------------------------------- helpers


def _pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """Draw ``n`` category indices with probabilities ``p``."""
    return rng.choice(len(p), size=n, p=np.asarray(p) / np.sum(p))


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one index per row of the row-stochastic matrix ``probs`` (inverse CDF)."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((cum < u).sum(axis=1), probs.shape[1] - 1)


def _ids(prefix: str, n: int, width: int, which: slice | np.ndarray | None = None) -> np.ndarray:
    """Ids ``prefix00001`` ... of ``n`` sequential items (or of the 0-based rows ``which``)."""
    width = max(width, len(str(n)))
    rows = np.arange(n)[which] if which is not None else np.arange(n)
    return np.array([f"{prefix}{i + 1:0{width}d}" for i in rows.tolist()], dtype=object)


def _day(d: datetime.date) -> int:
    """Day index of ``d`` relative to START."""
    return (d - START).days


def _calendar() -> dict[str, np.ndarray]:
    """Per-day calendar of the 3 years: order-volume weights and promotion flags."""
    days = np.arange(_N_DAYS)
    dates = np.datetime64(START, "D") + days
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970 - START.year
    dow = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    mult = np.ones(_N_DAYS)
    promo = np.zeros(_N_DAYS)
    for y in range(START.year, END.year + 1):
        nov1 = datetime.date(y, 11, 1)
        thanksgiving = nov1 + datetime.timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        t = _day(thanksgiving)
        mult[t] *= 0.3
        mult[t + 1:t + 5] *= 1.9  # Black Friday to Cyber Monday
        promo[t + 1:t + 5] = 0.04
        mult[_day(datetime.date(y, 12, 8)):_day(datetime.date(y, 12, 23))] *= 1.35
        for md in ((12, 24), (12, 25), (12, 26), (12, 31), (1, 1)):
            mult[_day(datetime.date(y, *md))] *= 0.2
        apr1 = datetime.date(y, 4, 1)
        spring = _day(apr1 + datetime.timedelta(days=(0 - apr1.weekday()) % 7 + 7))
        mult[spring:spring + 7] *= 1.7  # spring promotion week
        promo[spring:spring + 7] = 0.06
        for qm in (3, 6, 9, 12):  # quarter-end push
            last = _day(datetime.date(y, qm, 28 if qm == 12 else 30 if qm in (6, 9) else 31))
            mult[last - 6:last + 1] *= 1.15
    w = _MONTH_FACTOR[month] * _WEEKDAY_FACTOR[dow] * mult
    w = w / w[:365].sum()  # expected share of a customer's yearly orders in 2023
    month_idx = (year * 12 + month).astype(np.int64)
    bounds = np.searchsorted(month_idx, np.arange(_N_MONTHS + 1))
    return {
        "cw": np.concatenate([[0.0], np.cumsum(w)]),
        "promo": promo,
        "dec": (month == 11).astype(float),
        "year": year,
        "dow": dow,
        "bounds": bounds,
    }


def _to_frame(table: str, data: dict[str, np.ndarray]) -> pd.DataFrame:
    """Build a DataFrame with the column order and dtypes of ``table``."""
    cols: dict[str, pd.Series | np.ndarray] = {}
    for name, kind in COLUMNS[table]:
        v = data[name]
        if kind == "str":
            cols[name] = pd.array(v, dtype="str")
        elif kind == "date":
            days = np.asarray(v, dtype=np.int64)
            out = np.where(days == _NAT, _NAT, days + _D0)
            cols[name] = out.view("datetime64[D]").astype("datetime64[us]")
        elif kind == "int":
            cols[name] = np.asarray(v, dtype=np.int64)
        else:
            cols[name] = np.asarray(v, dtype=np.float64)
    return pd.DataFrame(cols)


_ARROW_TYPES = {"str": pa.string(), "date": pa.date32(), "int": pa.int64(),
                "float": pa.float64()}


def _arrow_schema(table: str) -> pa.Schema:
    """Parquet schema of ``table``: text, date32, int64 and float64 columns."""
    return pa.schema([pa.field(n, _ARROW_TYPES[k]) for n, k in COLUMNS[table]])


def _to_arrow(table: str, df: pd.DataFrame) -> pa.Table:
    """Convert a generated frame to an Arrow table with the fixed schema (no pandas metadata)."""
    t = pa.Table.from_pandas(df, schema=_arrow_schema(table), preserve_index=False)
    return t.replace_schema_metadata(None)


def _write_csv(df: pd.DataFrame, fh: TextIO, header: bool) -> None:
    """Append ``df`` to an open text file in the deterministic salesnb CSV format."""
    df.to_csv(fh, index=False, header=header, lineterminator="\n", date_format="%Y-%m-%d")


# --------------------------------------------------------------------------- generator


class _World:
    """All hidden state of one synthetic company; builds the tables on demand."""

    def __init__(self, seed: int, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        self.scale = float(scale)
        ss = np.random.SeedSequence(seed)
        streams = ss.spawn(10)
        self._rngs = [np.random.default_rng(s) for s in streams[:9]]
        self._month_seeds = streams[9].spawn(_N_MONTHS)
        self.cal = _calendar()
        self._reps()
        self._products()
        self._leads()
        self._customers()
        self._opportunities()
        self._surveys()
        self._product_weights()
        self.rev_rep_month = np.zeros((self.n_reps, _N_MONTHS))
        self.rev_month = np.zeros(_N_MONTHS)
        self.rev_qrc = np.zeros((12, len(_REGIONS), len(_CATEGORIES)))
        self.orders_done = False
        self.n_orders = 0

    # ----------------------------------------------------------------- organisation
    def _reps(self) -> None:
        rng = self._rngs[0]
        n_reg = len(_REGIONS)
        n = 1 + n_reg + 6 * n_reg
        self.n_reps = n
        self.rep_ids = _ids("R", n, 3)
        pairs = rng.choice(len(_FIRST) * len(_LAST), size=n, replace=False)
        first = [_FIRST[p // len(_LAST)] for p in pairs]
        last = [_LAST[p % len(_LAST)] for p in pairs]
        pairs_fl = list(zip(first, last, strict=True))
        self.rep_names = np.array([f"{f} {s}" for f, s in pairs_fl], dtype=object)
        self.rep_emails = np.array(
            [f"{f.lower()}.{s.lower()}@salesco.example" for f, s in pairs_fl], dtype=object
        )
        role = np.array(["director"] + ["manager"] * n_reg + ["rep"] * (6 * n_reg), dtype=object)
        region = np.full(n, -1)
        region[1:1 + n_reg] = np.arange(n_reg)
        region[1 + n_reg:] = np.repeat(np.arange(n_reg), 6)
        manager = np.full(n, -1)
        manager[1:1 + n_reg] = 0
        manager[1 + n_reg:] = 1 + region[1 + n_reg:]
        skill = rng.normal(0.0, 1.0, n)
        skill[:1 + n_reg] = 0.0
        hire = np.empty(n, dtype=np.int64)
        hire[0] = _day(datetime.date(2012, 3, 1)) + rng.integers(0, 700)
        hire[1:1 + n_reg] = _day(datetime.date(2014, 1, 1)) + rng.integers(0, 5 * 365, n_reg)
        hire[1 + n_reg:] = _day(datetime.date(2015, 1, 1)) + rng.integers(
            0, 8 * 365 - 30, 6 * n_reg
        )
        status = np.array(["active"] * n, dtype=object)
        leave = np.full(n, _NEVER)
        replacement = np.arange(n)
        reps = np.arange(1 + n_reg, n)
        # two reps left in 2025 (weaker reps are likelier to leave), one is on leave
        w = np.exp(-1.2 * skill[reps])
        gone = rng.choice(reps, size=2, replace=False, p=w / w.sum())
        if region[gone[0]] == region[gone[1]]:  # keep them in different regions
            others = reps[(region[reps] != region[gone[0]])]
            gone[1] = rng.choice(others)
        for r in gone:
            status[r] = "left"
            leave[r] = _day(datetime.date(2025, 3, 1)) + rng.integers(0, 240)
            mates = reps[(region[reps] == region[r]) & (reps != r)]
            replacement[r] = rng.choice(mates)
        stay = reps[status[reps] == "active"]
        status[rng.choice(stay)] = "on_leave"
        self.rep_role, self.rep_region, self.rep_manager = role, region, manager
        self.rep_skill, self.rep_hire, self.rep_status = skill, hire, status
        self.rep_leave, self.rep_replacement = leave, replacement
        self.rep_specialty = rng.integers(0, len(_CATEGORIES), n)
        # discount laxity: weaker reps give larger discounts
        self.rep_laxity = np.clip(rng.normal(0.0, 0.012, n) - 0.015 * skill, -0.03, 0.06)
        self.region_reps = np.arange(1 + n_reg, n).reshape(n_reg, 6)

    def _assign(self, rng: np.random.Generator, region: np.ndarray,
                day: np.ndarray) -> np.ndarray:
        """Assign a rep of ``region`` at ``day``; a rep who has left is replaced."""
        slot = rng.integers(0, 6, len(region))
        rep = self.region_reps[region, slot]
        gone = self.rep_leave[rep] <= day
        return np.where(gone, self.rep_replacement[rep], rep)

    def _owner_at(self, cust: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Rep owning customer(s) ``cust`` on ``day``."""
        orig = self.c_owner[cust]
        return np.where(day < self.rep_leave[orig], orig, self.rep_replacement[orig])

    # ----------------------------------------------------------------- products
    def _products(self) -> None:
        rng = self._rngs[1]
        n = len(_CATALOGUE)
        self.n_products = n
        self.p_ids = _ids("P", n, 3)
        self.p_names = np.array([c[0] for c in _CATALOGUE], dtype=object)
        self.p_cat = np.array([c[1] for c in _CATALOGUE])
        self.p_tier = np.array([c[2] for c in _CATALOGUE])
        ref = np.array([c[3] for c in _CATALOGUE])
        price = ref * rng.uniform(0.9, 1.1, n)
        self.p_price = np.where(price > 100, np.round(price) - 0.01, np.round(price, 1) - 0.01)
        margin = np.array([0.22, 0.32, 0.42])[self.p_tier] + rng.normal(0, 0.04, n)
        self.p_cost = np.round(self.p_price * (1 - np.clip(margin, 0.1, 0.6)), 2)
        self.p_qty = np.array([c[4] for c in _CATALOGUE])
        self.p_pop = rng.lognormal(0.0, 0.45, n)
        launch = _day(datetime.date(2016, 1, 1)) + rng.integers(0, 7 * 365, n)
        new = rng.choice(n, size=8, replace=False)
        launch[new] = rng.integers(_day(datetime.date(2023, 2, 1)), _day(datetime.date(2025, 7, 1)),
                                   len(new))
        self.p_launch = launch

    # ----------------------------------------------------------------- leads
    def _leads(self) -> None:
        rng = self._rngs[2]
        n = max(int(round(8000 * self.scale)), 20)
        cal = self.cal
        w = _WEEKDAY_FACTOR[cal["dow"]] + 0.1
        w = w * np.exp(0.12 * np.arange(_N_DAYS) / 365.25)
        cw = np.cumsum(w) / w.sum()
        created = np.sort(np.searchsorted(cw, rng.random(n), side="right")).astype(np.int64)
        created = np.minimum(created, _N_DAYS - 1)
        src = _pick(rng, n, np.array([0.25, 0.40, 0.15, 0.20]))
        ind = _pick(rng, n, _INDUSTRY_P)
        size = _pick(rng, n, np.array([0.45, 0.32, 0.17, 0.06]))
        reg = _pick(rng, n, _REGION_P)
        med = np.array([6000.0, 18000.0, 55000.0, 160000.0])[size]
        budget = np.round(med * rng.lognormal(0.0, 0.8, n), -2)
        budget = np.maximum(budget, 500.0)
        credit = _pick_rows(rng, _CREDIT_P[size])
        fit = rng.normal(np.array([0.0, -0.3, 0.6, 0.2])[src], 1.0)
        needs = 1 + np.searchsorted(np.array([-1.3, -0.4, 0.4, 1.2]), fit)
        vis_mean = np.array([3.0, 9.0, 4.0, 4.0])[src]
        visits = rng.poisson(rng.gamma(1.2, vis_mean / 1.2))
        opens = rng.poisson(rng.gamma(1.5, np.array([5.0, 3.0, 2.0, 3.0])[src] / 1.5))
        events = rng.poisson(0.3, n) + (src == 3)
        rep = self._assign(rng, reg, created)
        # conversion: non-linear in budget, fit, engagement (which needs a budget)
        has_budget = budget >= 4000
        b_eff = np.where(has_budget, 0.9 * (1 - np.exp(-budget / 40000.0)), -1.3)
        eng = 0.45 * np.log1p(visits) + 0.3 * np.log1p(opens) + 0.5 * np.minimum(events, 3)
        logit = (
            -2.75
            + np.array([-0.2, -0.6, 1.1, 0.35])[src]
            + b_eff
            + np.array([0.4, 0.2, -0.3, -1.3])[credit]
            + np.array([-1.6, -0.8, 0.0, 0.6, 0.9])[needs - 1]
            + np.where(has_budget, eng - 0.9, 0.1 * eng)
            + 0.3 * self.rep_skill[rep]
        )
        conv = rng.random(n) < 1 / (1 + np.exp(-logit))
        dur = np.where(
            conv,
            10 + rng.gamma(2.0, 12.0 * (budget / 20000.0) ** 0.2),
            5 + rng.gamma(1.5, 25.0, n),
        ).astype(np.int64)
        outcome = created + dur
        open_ = outcome >= _N_DAYS
        status = np.where(open_, 0, np.where(conv, 1, 2))
        end_act = np.where(open_, _N_DAYS - 1, outcome)
        last_act = created + np.floor(rng.random(n) * (end_act - created + 1)).astype(np.int64)
        last_act = np.minimum(last_act, end_act)
        unassigned = open_ & (created >= _N_DAYS - 21) & (rng.random(n) < 0.6)
        self.n_leads = n
        self.l_created, self.l_src, self.l_ind, self.l_size = created, src, ind, size
        self.l_reg, self.l_budget, self.l_credit, self.l_needs = reg, budget, credit, needs
        self.l_visits, self.l_opens, self.l_events = visits, opens, events
        self.l_last_act, self.l_rep, self.l_unassigned = last_act, rep, unassigned
        self.l_status = status
        self.l_outcome = np.where(open_, _NAT, outcome)

    # ----------------------------------------------------------------- customers
    def _customers(self) -> None:
        rng = self._rngs[3]
        n_total = max(int(round(3000 * self.scale)), 20)
        conv = np.nonzero(self.l_status == 1)[0]
        n_pre = max(int(round(0.62 * n_total)), 10)
        n_mid = max(n_total - n_pre - len(conv), int(round(0.05 * n_total)))
        n_other = n_pre + n_mid
        # customers that did not come through the lead table
        signup_o = np.concatenate([
            _day(datetime.date(2015, 1, 1))
            + np.floor(np.sqrt(rng.random(n_pre)) * (8 * 365)).astype(np.int64),
            np.floor(np.sqrt(rng.random(n_mid)) * (_N_DAYS - 1)).astype(np.int64),
        ])
        size_o = _pick(rng, n_other, _SIZE_P)
        ind_o = _pick(rng, n_other, _INDUSTRY_P)
        reg_o = _pick(rng, n_other, _REGION_P)
        src_o = _pick(rng, n_other, np.array([0.35, 0.25, 0.25, 0.15]))
        credit_o = _pick_rows(rng, _CREDIT_P[size_o])
        owner_o = self._assign(rng, reg_o, np.maximum(signup_o, 0))
        pot_o = rng.lognormal(0.0, 0.35, n_other)
        # converted leads became customers on their outcome date
        signup_l = self.l_outcome[conv]
        med = np.array([6000.0, 18000.0, 55000.0, 160000.0])[self.l_size[conv]]
        pot_l = 0.8 * (self.l_budget[conv] / med) ** 0.3
        signup = np.concatenate([signup_o, signup_l])
        size = np.concatenate([size_o, self.l_size[conv]])
        ind = np.concatenate([ind_o, self.l_ind[conv]])
        reg = np.concatenate([reg_o, self.l_reg[conv]])
        src = np.concatenate([src_o, self.l_src[conv]])
        credit = np.concatenate([credit_o, self.l_credit[conv]])
        owner = np.concatenate([owner_o, self.l_rep[conv]])
        pot = np.concatenate([pot_o, pot_l])
        lead = np.concatenate([np.full(n_other, -1), conv])
        order = np.lexsort((np.arange(len(signup)), signup))
        signup, size, ind, reg = signup[order], size[order], ind[order], reg[order]
        src, credit, owner = src[order], credit[order], owner[order]
        pot, lead = pot[order], lead[order]
        n = len(signup)
        self.n_customers = n
        self.c_ids = _ids("C", n, 5)
        lead_cust = np.full(self.n_leads, -1)
        lead_cust[lead[lead >= 0]] = np.nonzero(lead >= 0)[0]
        self.l_customer = lead_cust
        self.c_signup, self.c_size, self.c_ind, self.c_reg = signup, size, ind, reg
        self.c_src, self.c_credit, self.c_owner, self.c_lead = src, credit, owner, lead
        skill = self.rep_skill[owner]
        # buying rate: heavy tailed, by size and industry; lead customers by stated budget
        base = (
            np.array([3.0, 6.0, 12.0, 22.0])[size]
            * _INDUSTRY_RATE[ind]
            * rng.lognormal(-0.4, 0.9, n)
            * pot
            * 1.6
        )
        self.c_base = base
        self.c_act = np.where(signup < 0, signup, signup + 1 + rng.exponential(15.0, n).astype(
            np.int64))
        self.c_growth = rng.normal(-0.04 + 0.08 * skill, 0.18)
        self.c_sat = rng.normal(0.0, 0.5, n)
        hazard = (
            0.15
            * np.array([1.5, 1.0, 0.7, 0.4])[size]
            * np.array([0.8, 0.9, 1.2, 1.8])[credit]
            * np.exp(-0.35 * skill - 0.8 * self.c_sat)
        )
        t_churn = np.maximum(self.c_act, 0) + (rng.exponential(1.0, n) / hazard * 365.25)
        self.c_churn = np.where(t_churn < _N_DAYS, t_churn, _NEVER).astype(np.int64)
        self.c_city = np.array([rng.integers(0, len(_CITIES[r])) for r in reg])
        self.c_name_parts = (
            rng.integers(0, len(_CO_PREFIX), n), rng.integers(0, 6, n),
            rng.integers(0, len(_CO_SUFFIX), n), rng.integers(0, len(_FIRST), n),
            rng.integers(0, len(_LAST), n), rng.integers(0, 10**7, n),
        )

    # ----------------------------------------------------------------- opportunities
    def _opportunities(self) -> None:
        rng = self._rngs[4]
        n_total = max(int(round(4000 * self.scale)), 10)
        # 1) the winning deal of every converted lead
        lc = np.nonzero(self.l_customer >= 0)[0]
        lo_created = self.l_created[lc]
        span = self.l_outcome[lc] - lo_created
        fr = np.sort(rng.uniform(0.15, 0.95, (len(lc), 4)), axis=1)
        lo_dates = np.column_stack([
            lo_created + np.floor(0.1 * span),
            *(lo_created + np.floor(fr[:, k] * span) for k in range(4)),
        ]).astype(np.int64)
        lo_amount = np.round(self.l_budget[lc] * rng.uniform(0.5, 1.0, len(lc)))
        # 2) deals with existing customers
        m = max(n_total - len(lc), 0)
        w = np.exp(0.1 * np.arange(_N_DAYS - 20) / 365.25) * (_WEEKDAY_FACTOR[
            self.cal["dow"][:_N_DAYS - 20]] + 0.05)
        cwd = np.cumsum(w) / w.sum()
        created = np.searchsorted(cwd, rng.random(m), side="right").astype(np.int64)
        eligible = np.searchsorted(self.c_signup, created, side="left")  # signed up before
        cw = np.cumsum(np.array([1.0, 2.0, 4.0, 7.0])[self.c_size])
        cust = np.searchsorted(cw, rng.random(m) * cw[np.maximum(eligible, 1) - 1], side="right")
        cust = np.minimum(cust, np.maximum(eligible, 1) - 1)
        rep = self._owner_at(cust, created)
        med = np.array([8000.0, 20000.0, 60000.0, 150000.0])[self.c_size[cust]]
        amount = np.round(med * rng.lognormal(0.0, 0.7, m))
        dur_scale = (amount / 20000.0) ** 0.25
        dates = np.full((m, 5), _NAT, dtype=np.int64)
        closed = np.full(m, _NAT, dtype=np.int64)
        stage = np.zeros(m, dtype=np.int64)  # index of last stage reached; 5 won, 6 lost
        reason = np.full(m, -1)
        base_p = np.array([0.8, 0.72, 0.65, 0.75, 0.85])
        mean_days = np.array([7.0, 10.0, 14.0, 10.0, 8.0])
        d = created + rng.integers(0, 8, m)  # first visit
        dates[:, 0] = d
        alive = np.ones(m, dtype=bool)
        reason_p = np.array([
            [0.05, 0.10, 0.30, 0.35, 0.20],
            [0.10, 0.15, 0.25, 0.30, 0.20],
            [0.45, 0.30, 0.08, 0.05, 0.12],
            [0.45, 0.35, 0.07, 0.03, 0.10],
            [0.30, 0.30, 0.10, 0.00, 0.30],
        ])
        skill = self.rep_skill[rep]
        for k in range(5):
            nxt = d + np.ceil(rng.gamma(2.0, mean_days[k] / 2.0 * dur_scale)).astype(np.int64)
            pk = base_p[k]
            lg = np.log(pk / (1 - pk)) + 0.35 * skill - 0.15 * np.log(amount / 20000.0)
            adv = rng.random(m) < 1 / (1 + np.exp(-lg))
            rs = _pick_rows(rng, np.tile(reason_p[k], (m, 1)) + 1e-12)
            in_time = nxt < _N_DAYS
            lost = alive & in_time & ~adv
            closed[lost] = nxt[lost]
            stage[lost] = 6
            reason[lost] = rs[lost]
            go = alive & in_time & adv
            if k < 4:
                dates[go, k + 1] = nxt[go]
                stage[go] = k + 1
            else:
                closed[go] = nxt[go]
                stage[go] = 5
            alive = go
            d = nxt
        n_opp = len(lc) + m
        cust_all = np.concatenate([self.l_customer[lc], cust])
        created_all = np.concatenate([lo_dates[:, 0], created])
        order = np.lexsort((np.arange(n_opp), created_all))
        self.n_opps = n_opp
        self.o_customer = cust_all[order]
        self.o_lead = np.concatenate([lc, np.full(m, -1)])[order]
        self.o_rep = np.concatenate([self.l_rep[lc], rep])[order]
        self.o_created = created_all[order]
        self.o_stage = np.concatenate([np.full(len(lc), 5), stage])[order]
        self.o_amount = np.concatenate([lo_amount, amount])[order]
        self.o_dates = np.concatenate([lo_dates, dates])[order]
        self.o_closed = np.concatenate([self.l_outcome[lc], closed])[order]
        self.o_reason = np.concatenate([np.full(len(lc), -1), reason])[order]

    # ----------------------------------------------------------------- surveys
    def _surveys(self) -> None:
        rng = self._rngs[5]
        n = max(int(round(6000 * self.scale)), 10)
        lo = np.maximum(self.c_act, 0)
        hi = np.minimum(self.c_churn, _N_DAYS)
        length = np.maximum(hi - lo, 0)
        w = self.c_base ** 0.5 * length
        cw = np.cumsum(w)
        cust = np.minimum(np.searchsorted(cw, rng.random(n) * cw[-1], side="right"),
                          self.n_customers - 1)
        day = lo[cust] + np.floor(rng.random(n) * length[cust]).astype(np.int64)
        order = np.lexsort((cust, day))
        cust, day = cust[order], day[order]
        rep = self._owner_at(cust, day)
        service = _pick(rng, n, np.array([0.35, 0.2, 0.3, 0.15]))
        churned = self.c_churn[cust] < _N_DAYS
        latent = (
            3.75
            + 0.45 * self.rep_skill[rep]
            + np.array([0.1, -0.15, -0.3, 0.2])[service]
            + self.c_sat[cust]
            - 0.3 * churned
            + rng.normal(0.0, 0.8, n)
        )
        self.n_surveys = n
        self.s_cust, self.s_day, self.s_rep, self.s_service = cust, day, rep, service
        self.s_score = np.clip(np.round(latent), 1, 5).astype(np.int64)

    # ----------------------------------------------------------------- order lines
    def _product_weights(self) -> None:
        """Unnormalised product weights per (industry, size, rep) group."""
        rng = self._rngs[6]
        ind_cat = _INDUSTRY_CAT * rng.lognormal(0.0, 0.1, _INDUSTRY_CAT.shape)
        reg_cat = _REGION_CAT * rng.lognormal(0.0, 0.1, _REGION_CAT.shape)
        reg_cat = np.vstack([reg_cat, np.ones(len(_CATEGORIES))])  # row -1: no region
        cat = self.p_cat
        spec = np.where(self.rep_specialty[:, None] == cat[None, :], 1.3, 1.0)
        w = (
            ind_cat[:, None, None, cat]
            * _SIZE_TIER[None, :, None, self.p_tier]
            * reg_cat[self.rep_region][None, None, :, cat]
            * spec[None, None, :, :]
            * self.p_pop
        )
        self.p_weights = w.reshape(-1, self.n_products)

    def order_chunks(self) -> Iterator[pd.DataFrame]:
        """Yield the order lines month by month (and record revenue aggregates)."""
        self.rev_rep_month[:] = 0
        self.rev_month[:] = 0
        self.rev_qrc[:] = 0
        self.n_orders = 0
        for m in range(_N_MONTHS):
            yield self._order_month(m)
        self.orders_done = True

    def _order_month(self, m: int) -> pd.DataFrame:
        rng = np.random.default_rng(self._month_seeds[m])
        cal = self.cal
        ms, me = int(cal["bounds"][m]), int(cal["bounds"][m + 1])
        a = np.maximum(self.c_act, ms)
        b = np.minimum(self.c_churn, me)
        act = np.nonzero(a < b)[0]
        a, b = a[act], b[act]
        mid = 0.5 * (ms + me)
        age = np.maximum(mid - self.c_act[act], 0) / 30.44
        rate = (
            self.c_base[act]
            * np.exp(self.c_growth[act] * mid / 365.25)
            * (1 - 0.6 * np.exp(-age / 4.0))
        )
        cw = cal["cw"]
        lam = rate * (cw[b] - cw[a])
        counts = rng.poisson(lam)
        oc = np.repeat(act, counts)
        lo, hi = np.repeat(cw[a], counts), np.repeat(cw[b], counts)
        day = np.searchsorted(cw, lo + rng.random(len(oc)) * (hi - lo), side="right") - 1
        day = np.clip(day, np.repeat(a, counts), np.repeat(b, counts) - 1)
        order = np.lexsort((oc, day))
        oc, day = oc[order], day[order]
        n_ord = len(oc)
        size = self.c_size[oc]
        n_lines = 1 + np.minimum(rng.poisson(np.array([0.5, 0.9, 1.4, 2.0])[size]), 9)
        ord_no = self.n_orders + np.arange(1, n_ord + 1)
        self.n_orders += n_ord
        # expand to lines
        li = np.repeat(np.arange(n_ord), n_lines)
        starts = np.cumsum(n_lines) - n_lines
        line_no = np.arange(len(li)) - starts[li] + 1
        cust, lday, lsize = oc[li], day[li], size[li]
        # products available since the start of the month, drawn without replacement within
        # an order (Gumbel top-k) from the weights of the (industry, size, rep) group
        avail = self.p_launch <= ms
        with np.errstate(divide="ignore"):
            logw = np.log(self.p_weights * avail)
        orep = self._owner_at(oc, day)
        grp = (self.c_ind[oc] * 4 + size) * self.n_reps + orep
        top = np.empty((n_ord, 10), dtype=np.int64)
        for lo in range(0, n_ord, 16384):  # blocks keep the (orders x products) keys small
            hi = min(lo + 16384, n_ord)
            keys = logw[grp[lo:hi]] + rng.gumbel(size=(hi - lo, self.n_products))
            top[lo:hi] = np.argsort(-keys, axis=1, kind="stable")[:, :10]
        prod = top[li, line_no - 1]
        rep = orep[li]
        # discount: size, rep laxity, promotions, year-end push
        disc = (
            np.array([0.01, 0.04, 0.08, 0.13])[lsize]
            + self.rep_laxity[rep]
            + cal["promo"][lday]
            + 0.02 * cal["dec"][lday]
            + rng.normal(0.0, 0.03, len(li))
        )
        disc = np.round(np.clip(disc, 0.0, 0.5), 2)
        # quantity: product base x customer size, raised by the discount (elasticity)
        mu = self.p_qty[prod] * np.array([1.0, 1.5, 2.3, 3.5])[lsize] * np.exp(2.5 * disc)
        qty = np.maximum(1, np.round(mu * rng.lognormal(-0.4, 0.45, len(li)))).astype(np.int64)
        year = cal["year"][lday]
        price = np.round(self.p_price[prod] * _PRICE_INDEX[year], 2)
        revenue = np.round(qty * price * (1 - disc), 2)
        # aggregates for targets and competitor estimates
        self.rev_rep_month[:, m] = np.bincount(rep, weights=revenue, minlength=self.n_reps)
        self.rev_month[m] = revenue.sum()
        reg = self.c_reg[cust]
        self.rev_qrc[m // 3] += np.bincount(
            reg * len(_CATEGORIES) + self.p_cat[prod], weights=revenue,
            minlength=len(_REGIONS) * len(_CATEGORIES),
        ).reshape(len(_REGIONS), len(_CATEGORIES))
        oid = np.array([f"O{k:08d}" for k in ord_no], dtype=object)
        return _to_frame("orders", {
            "order_id": oid[li],
            "line_no": line_no,
            "order_date": lday,
            "customer_id": self.c_ids[cust],
            "product_id": self.p_ids[prod],
            "rep_id": self.rep_ids[rep],
            "region": np.array(_REGIONS, dtype=object)[reg],
            "quantity": qty,
            "unit_price": price,
            "discount": disc,
            "revenue": revenue,
        })

    # ----------------------------------------------------------------- static tables
    def table(self, name: str) -> pd.DataFrame:
        """Build the whole table ``name`` (not orders); targets/competitors need the orders."""
        return pd.concat(list(self.table_chunks(name)), ignore_index=True)

    def table_chunks(self, name: str) -> Iterator[pd.DataFrame]:
        """Yield table ``name`` (not orders) in slices of at most ``_CHUNK_ROWS`` rows."""
        if name in ("targets", "competitors") and not self.orders_done:
            raise RuntimeError("targets and competitors need all order chunks generated first")
        n = {"customers": "n_customers", "leads": "n_leads", "opportunities": "n_opps",
             "surveys": "n_surveys"}.get(name)
        build = getattr(self, f"_t_{name}")
        if n is None:
            yield build()
            return
        total = getattr(self, n)
        size = _CHUNK_ROWS
        for lo in range(0, max(total, 1), size):
            yield build(slice(lo, min(lo + size, total)))

    def release(self, *names: str) -> None:
        """Free the hidden state only needed to build the tables ``names``."""
        prefix = {"leads": "l_", "opportunities": "o_", "surveys": "s_"}
        for name in names:
            for attr in [a for a in vars(self) if a.startswith(prefix[name])]:
                delattr(self, attr)

    def _t_reps(self) -> pd.DataFrame:
        reg = np.array(("",) + _REGIONS, dtype=object)[self.rep_region + 1]
        mgr = np.where(self.rep_manager >= 0, self.rep_ids[np.maximum(self.rep_manager, 0)], None)
        return _to_frame("reps", {
            "rep_id": self.rep_ids,
            "name": self.rep_names,
            "email": self.rep_emails,
            "role": self.rep_role,
            "manager_id": mgr,
            "region": np.where(self.rep_region >= 0, reg, None),
            "hire_date": self.rep_hire,
            "status": self.rep_status,
            "specialty": np.array(_CATEGORIES, dtype=object)[self.rep_specialty],
        })

    def _t_products(self) -> pd.DataFrame:
        return _to_frame("products", {
            "product_id": self.p_ids,
            "name": self.p_names,
            "category": np.array(_CATEGORIES, dtype=object)[self.p_cat],
            "tier": np.array(_TIERS, dtype=object)[self.p_tier],
            "list_price": self.p_price,
            "unit_cost": self.p_cost,
            "launch_date": self.p_launch,
        })

    def _t_customers(self, sl: slice) -> pd.DataFrame:
        pre, core, suf, fn, ln, ph = (a[sl] for a in self.c_name_parts)
        ind, reg, city = self.c_ind[sl], self.c_reg[sl], self.c_city[sl]
        names, contacts, emails, phones, cities = [], [], [], [], []
        for i in range(len(ind)):
            base = f"{_CO_PREFIX[pre[i]]} {_CO_CORE[_INDUSTRIES[ind[i]]][core[i]]}"
            names.append(f"{base} {_CO_SUFFIX[suf[i]]}".rstrip())
            first, last = _FIRST[fn[i]], _LAST[ln[i]]
            contacts.append(f"{first} {last}")
            domain = base.lower().replace(" ", "").replace(".", "")
            emails.append(f"{first.lower()}.{last.lower()}@{domain}.example")
            p = int(ph[i])
            phones.append(f"+1-555-{p // 10000 % 1000:03d}-{p % 10000:04d}")
            cities.append(_CITIES[reg[i]][city[i]])
        owner = self.c_owner[sl]
        owner_now = np.where(self.rep_leave[owner] < _NEVER, self.rep_replacement[owner], owner)
        return _to_frame("customers", {
            "customer_id": self.c_ids[sl],
            "name": np.array(names, dtype=object),
            "contact_name": np.array(contacts, dtype=object),
            "email": np.array(emails, dtype=object),
            "phone": np.array(phones, dtype=object),
            "industry": np.array(_INDUSTRIES, dtype=object)[ind],
            "size": np.array(_SIZES, dtype=object)[self.c_size[sl]],
            "region": np.array(_REGIONS, dtype=object)[reg],
            "city": np.array(cities, dtype=object),
            "source": np.array(_SOURCES, dtype=object)[self.c_src[sl]],
            "signup_date": self.c_signup[sl],
            "credit_rating": np.array(_CREDIT, dtype=object)[self.c_credit[sl]],
            "owner_rep_id": self.rep_ids[owner_now],
        })

    def _t_leads(self, sl: slice) -> pd.DataFrame:
        cust = self.l_customer[sl]
        return _to_frame("leads", {
            "lead_id": _ids("L", self.n_leads, 5, sl),
            "created_date": self.l_created[sl],
            "source": np.array(_SOURCES, dtype=object)[self.l_src[sl]],
            "industry": np.array(_INDUSTRIES, dtype=object)[self.l_ind[sl]],
            "size": np.array(_SIZES, dtype=object)[self.l_size[sl]],
            "region": np.array(_REGIONS, dtype=object)[self.l_reg[sl]],
            "budget": self.l_budget[sl],
            "credit_rating": np.array(_CREDIT, dtype=object)[self.l_credit[sl]],
            "needs_score": self.l_needs[sl],
            "website_visits": self.l_visits[sl],
            "email_opens": self.l_opens[sl],
            "events_attended": self.l_events[sl],
            "last_activity_date": self.l_last_act[sl],
            "assigned_rep_id": np.where(self.l_unassigned[sl], None,
                                        self.rep_ids[self.l_rep[sl]]),
            "status": np.array(["open", "converted", "lost"], dtype=object)[self.l_status[sl]],
            "outcome_date": self.l_outcome[sl],
            "customer_id": np.where(cust >= 0, self.c_ids[np.maximum(cust, 0)], None),
        })

    def _t_opportunities(self, sl: slice) -> pd.DataFrame:
        stages = np.array(_STAGES + ("won", "lost"), dtype=object)
        lead = self.o_lead[sl]
        lead_ids = _ids("L", self.n_leads, 5, lead[lead >= 0])
        reason = self.o_reason[sl]
        data = {
            "opportunity_id": _ids("OP", self.n_opps, 5, sl),
            "customer_id": self.c_ids[self.o_customer[sl]],
            "lead_id": np.full(len(lead), None, dtype=object),
            "rep_id": self.rep_ids[self.o_rep[sl]],
            "created_date": self.o_created[sl],
            "stage": stages[self.o_stage[sl]],
            "amount": self.o_amount[sl],
            "closed_date": self.o_closed[sl],
            "lost_reason": np.where(reason >= 0,
                                    np.array(_LOST_REASONS, dtype=object)[reason], None),
        }
        data["lead_id"][lead >= 0] = lead_ids
        for k, st in enumerate(_STAGES):
            data[f"{st}_date"] = self.o_dates[sl, k]
        return _to_frame("opportunities", data)

    def _t_surveys(self, sl: slice) -> pd.DataFrame:
        return _to_frame("surveys", {
            "survey_id": _ids("S", self.n_surveys, 6, sl),
            "customer_id": self.c_ids[self.s_cust[sl]],
            "rep_id": self.rep_ids[self.s_rep[sl]],
            "survey_date": self.s_day[sl],
            "service": np.array(_SERVICES, dtype=object)[self.s_service[sl]],
            "score": self.s_score[sl],
        })

    def _t_targets(self) -> pd.DataFrame:
        rng = self._rngs[7]
        reps = np.nonzero(self.rep_role == "rep")[0]
        yr = self.rev_rep_month[reps].reshape(len(reps), 3, 12).sum(axis=2)
        share = self.rev_month[:12] / max(self.rev_month[:12].sum(), 1e-9)
        floor = 0.5 * np.median(yr, axis=0)
        prior = np.maximum(yr, floor[None, :])
        annual = np.column_stack([
            prior[:, 0] * rng.normal(1.0, 0.07, len(reps)),  # 2023: plan from 2022 run-rate
            prior[:, 0] * 1.10 * rng.normal(1.0, 0.03, len(reps)),
            prior[:, 1] * 1.10 * rng.normal(1.0, 0.03, len(reps)),
        ])
        rev_t = np.round(annual[:, :, None] * share[None, None, :], -2).reshape(len(reps), 36)
        new_year = np.zeros((len(reps), 3))
        new = (self.c_signup >= 0) & (self.c_signup < _N_DAYS)
        yidx = self.cal["year"][np.clip(self.c_signup, 0, _N_DAYS - 1)]
        rep_pos = np.full(self.n_reps, -1)
        rep_pos[reps] = np.arange(len(reps))
        np.add.at(new_year, (rep_pos[self.c_owner[new]], yidx[new]), 1)
        ann_new = np.column_stack([
            np.round(new_year[:, 0] * rng.normal(1.0, 0.1, len(reps))),
            np.round(new_year[:, 0] * 1.1),
            np.round(new_year[:, 1] * 1.1),
        ])
        cum = np.round(np.cumsum(np.repeat(ann_new / 12.0, 12, axis=1), axis=1))
        new_t = np.diff(np.concatenate([np.zeros((len(reps), 1)), cum], axis=1), axis=1)
        new_t = np.maximum(new_t, 0).astype(np.int64)
        periods = np.array([
            _day(datetime.date(START.year + k // 12, k % 12 + 1, 1)) for k in range(36)
        ])
        sat = np.repeat([4.0, 4.1, 4.2], 12)
        # a rep who left gets no targets from the month after leaving
        keep = (periods[None, :] <= self.rep_leave[reps][:, None]).ravel()
        return _to_frame("targets", {
            "rep_id": np.repeat(self.rep_ids[reps], 36)[keep],
            "period": np.tile(periods, len(reps))[keep],
            "revenue_target": rev_t.ravel()[keep],
            "new_customers_target": new_t.ravel()[keep],
            "satisfaction_target": np.tile(sat, len(reps))[keep],
        })

    def _t_competitors(self) -> pd.DataFrame:
        rng = self._rngs[8]
        n_r, n_c = len(_REGIONS), len(_CATEGORIES)
        share = (np.array([0.30, 0.22, 0.34, 0.17, 0.40])[:, None]
                 * rng.lognormal(0.0, 0.3, (n_r, n_c)))
        share = np.clip(share, 0.05, 0.6)
        present = np.ones((n_r, len(_COMPETITORS)), dtype=bool)
        present[[0, 4], 3] = False  # Delta Digital is not active in North and Central
        strength = rng.lognormal(0.0, 0.5, (n_r, n_c, len(_COMPETITORS))) * present[:, None, :]
        strength = strength / strength.sum(axis=2, keepdims=True)
        rows: dict[str, list] = {k: [] for k in ("period", "region", "category", "competitor",
                                                 "estimated_revenue")}
        mean_cell = max(self.rev_qrc.mean(), 1.0)
        for q in range(12):
            period = _day(datetime.date(START.year + q // 4, 3 * (q % 4) + 1, 1))
            ours = self.rev_qrc[q] + 0.05 * mean_cell
            others = ours / share * (1 - share)
            noise = rng.lognormal(0.0, 0.1, (n_r, n_c, len(_COMPETITORS)))
            est = np.round(others[:, :, None] * strength * noise, -2)
            for r in range(n_r):
                for c in range(n_c):
                    for k, comp in enumerate(_COMPETITORS):
                        if present[r, k]:
                            rows["period"].append(period)
                            rows["region"].append(_REGIONS[r])
                            rows["category"].append(_CATEGORIES[c])
                            rows["competitor"].append(comp)
                            rows["estimated_revenue"].append(est[r, c, k])
        return _to_frame("competitors", {k: np.array(v, dtype=object if k in (
            "region", "category", "competitor") else None) for k, v in rows.items()})


# --------------------------------------------------------------------------- public API


def generate(seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """Generate all nine tables in memory.

    Meant for small scales (the default ``scale=1`` takes about a second and 200 MB);
    use :func:`write_sample` for large data. The result is identical to what
    :func:`write_sample` writes for the same ``seed`` and ``scale``.

    Parameters
    ----------
    seed : int, default=DEFAULT_SEED
        Seed of all random streams; the same seed gives the same data.
    scale : float, default=1.0
        Multiplies the number of customers, leads, opportunities, surveys and the order
        volume (``1.0`` gives about 3,000 customers and 140k order lines). The sales
        organisation and the product catalogue keep their size.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{table: frame}`` for the tables in :data:`TABLE_NAMES`. Ids and text are ``str``
        columns, dates ``datetime64`` (no time), counts ``int64`` and money ``float64``;
        empty values are missing (``NaN``/``NaT``).

    Raises
    ------
    ValueError
        If ``scale`` is not positive.
    """
    world = _World(seed, scale)
    tables: dict[str, pd.DataFrame] = {}
    orders = list(world.order_chunks())
    for name in TABLE_NAMES:
        if name == "orders":
            tables[name] = pd.concat(orders, ignore_index=True)
        else:
            tables[name] = world.table(name)
    return tables


def write_sample(
    out: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    fmt: Literal["csv", "parquet"] = "csv",
) -> dict[str, int]:
    r"""Write the nine tables as ``<table>.csv`` or ``<table>.parquet`` into a folder.

    Order lines are generated and written month by month (appended CSV or one Parquet row
    group per month), so memory stays bounded at large scales. Files are byte-identical
    for the same ``seed``, ``scale`` and ``fmt``. CSV files are UTF-8 with a header row,
    ``\n`` line endings, no index column, ISO dates (``YYYY-MM-DD``) and empty fields for
    missing values; Parquet files use ``date32`` dates and nullable columns.

    Parameters
    ----------
    out : str or pathlib.Path
        Target folder; created if needed. Existing table files are overwritten.
    seed : int, default=DEFAULT_SEED
        Seed of all random streams.
    scale : float, default=1.0
        Size multiplier, as in :func:`generate` (``70`` gives over 10 million order lines).
    fmt : {"csv", "parquet"}, default="csv"
        File format.

    Returns
    -------
    dict of str to int
        Rows written per table, in :data:`TABLE_NAMES` order.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or ``scale`` is not positive.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    world = _World(seed, scale)
    counts: dict[str, int] = {}

    def put(name: str, chunks: Iterator[pd.DataFrame]) -> None:
        path = folder / f"{name}.{fmt}"
        n = 0
        if fmt == "csv":
            with open(path, "w", encoding="utf-8", newline="") as fh:
                for df in chunks:
                    _write_csv(df, fh, header=n == 0)
                    n += len(df)
        else:
            with pq.ParquetWriter(path, _arrow_schema(name)) as writer:
                for df in chunks:
                    writer.write_table(_to_arrow(name, df))
                    n += len(df)
        counts[name] = n

    # tables that need no order aggregates first, then free their state, then the
    # orders month by month, then targets and competitors (built from order aggregates)
    for name in ("reps", "products", "customers", "leads", "opportunities", "surveys"):
        put(name, world.table_chunks(name))
    world.release("leads", "opportunities", "surveys")
    put("orders", world.order_chunks())
    put("targets", world.table_chunks("targets"))
    put("competitors", world.table_chunks("competitors"))
    return {name: counts[name] for name in TABLE_NAMES}
