"""The machinery behind :mod:`salesnb.data.sample`, the synthetic sales data generator.

:class:`~salesnb.data.synth.world.World` is one synthetic company. It is assembled from one
builder per group of tables, each drawing its hidden state from its own random stream:

* :mod:`~salesnb.data.synth.organisation`: reps and products;
* :mod:`~salesnb.data.synth.accounts`: leads and customers;
* :mod:`~salesnb.data.synth.funnel`: opportunities and surveys;
* :mod:`~salesnb.data.synth.orders`: order lines, month by month;
* :mod:`~salesnb.data.synth.market`: targets and competitor estimates.

:mod:`~salesnb.data.synth.base` holds the time grid and the table format,
:mod:`~salesnb.data.synth.vocab` what the company is made of (regions, catalogue, names).
Use :func:`salesnb.data.sample.generate` and :func:`salesnb.data.sample.write_sample`.
"""
