"""The command line, the runner and the app server import nothing heavy until they need it."""

from __future__ import annotations

import subprocess
import sys

#: Slow to import, or only needed inside a kernel: never on the way to ``salesnb run``/``app``.
HEAVY = ("ipywidgets", "matplotlib", "seaborn", "sklearn", "scipy", "statsmodels", "pandas",
         "numpy", "papermill", "nbconvert", "nbformat", "voila", "ipykernel")

_CODE = """
import sys
import salesnb, salesnb.cli, salesnb.report.runner, salesnb.app.server
print(" ".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_cli_runner_and_app_import_light():
    out = subprocess.run([sys.executable, "-c", _CODE.format(heavy=HEAVY)], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "", f"imported on the way to the runner and the app: {out}"


def test_the_package_still_reaches_the_heavy_parts_on_use():
    code = ("import sys, salesnb as sn; sn.reporting; sn.widgets; "
            "print('ipywidgets' in sys.modules and 'seaborn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "True"
