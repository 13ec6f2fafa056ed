"""One synthetic company: :class:`World` holds its hidden state and builds the tables."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from salesnb.data.synth.accounts import AccountsBuilder
from salesnb.data.synth.base import CHUNK_ROWS, N_MONTHS, build_calendar
from salesnb.data.synth.funnel import FunnelBuilder
from salesnb.data.synth.market import MarketBuilder
from salesnb.data.synth.orders import OrdersBuilder
from salesnb.data.synth.organisation import OrganisationBuilder
from salesnb.data.synth.vocab import CATEGORIES, REGIONS

__all__ = ["World"]


class World(OrganisationBuilder, AccountsBuilder, FunnelBuilder, OrdersBuilder, MarketBuilder):
    """All hidden state of one synthetic company; builds the tables on demand.

    The state is drawn in a fixed order from ten random streams spawned from ``seed`` (one
    per builder, the last one spawning one stream per order month), so the same ``seed`` and
    ``scale`` always give the same tables, however they are sliced.

    Parameters
    ----------
    seed : int
        Seed of all random streams.
    scale : float
        Size multiplier of customers, leads, opportunities, surveys and order volume.

    Raises
    ------
    ValueError
        If ``scale`` is not positive.
    """

    def __init__(self, seed: int, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        self.scale = float(scale)
        ss = np.random.SeedSequence(seed)
        streams = ss.spawn(10)
        self._rngs = [np.random.default_rng(s) for s in streams[:9]]
        self._month_seeds = streams[9].spawn(N_MONTHS)
        self.cal = build_calendar()
        self._reps()
        self._products()
        self._leads()
        self._customers()
        self._opportunities()
        self._surveys()
        self._product_weights()
        self.rev_rep_month = np.zeros((self.n_reps, N_MONTHS))
        self.rev_month = np.zeros(N_MONTHS)
        self.rev_qrc = np.zeros((12, len(REGIONS), len(CATEGORIES)))
        self.orders_done = False
        self.n_orders = 0

    def table(self, name: str) -> pd.DataFrame:
        """Build the whole table ``name`` (not orders); targets/competitors need the orders.

        Parameters
        ----------
        name : str
            A table of :data:`~salesnb.data.synth.base.TABLE_NAMES` other than ``orders``.

        Returns
        -------
        pandas.DataFrame
            The table.
        """
        return pd.concat(list(self.table_chunks(name)), ignore_index=True)

    def table_chunks(self, name: str) -> Iterator[pd.DataFrame]:
        """Yield table ``name`` (not orders) in slices of at most ``CHUNK_ROWS`` rows.

        Parameters
        ----------
        name : str
            A table of :data:`~salesnb.data.synth.base.TABLE_NAMES` other than ``orders``.

        Yields
        ------
        pandas.DataFrame
            Consecutive slices of the table (one slice for the small tables).

        Raises
        ------
        RuntimeError
            For ``targets`` or ``competitors`` before every order month was generated.
        """
        if name in ("targets", "competitors") and not self.orders_done:
            raise RuntimeError("targets and competitors need all order chunks generated first")
        n = {"customers": "n_customers", "leads": "n_leads", "opportunities": "n_opps",
             "surveys": "n_surveys"}.get(name)
        build = getattr(self, f"_t_{name}")
        if n is None:
            yield build()
            return
        total = getattr(self, n)
        size = CHUNK_ROWS
        for lo in range(0, max(total, 1), size):
            yield build(slice(lo, min(lo + size, total)))

    def release(self, *names: str) -> None:
        """Free the hidden state only needed to build the tables ``names``.

        Parameters
        ----------
        *names : str
            Any of ``leads``, ``opportunities`` and ``surveys``, once they are written.
        """
        prefix = {"leads": "l_", "opportunities": "o_", "surveys": "s_"}
        for name in names:
            for attr in [a for a in vars(self) if a.startswith(prefix[name])]:
                delattr(self, attr)
