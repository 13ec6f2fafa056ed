"""Build hook: ship the report notebooks and the sample dataset inside the wheel.

Everything about the package is in ``pyproject.toml``; this file only adds one step to
``build_py``. The project keeps ``notebooks/`` and ``data/`` at the top level (the layout is
fixed), while an installed package must find them inside itself: the step copies them into
``salesnb/_bundle/`` in the build folder, where ``salesnb/paths.py`` finds them through
``importlib.resources``. An editable install (``pip install -e .``) skips the step: it reads
the checkout's own folders. The sdist carries the folders too (``MANIFEST.in``), so a wheel
built from it is the same.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: Folder of the checkout -> the files of it that ship, under ``salesnb/_bundle/<folder>/``.
BUNDLE = {
    "notebooks": ("*.ipynb",),
    "data": ("*.csv", "README.md", "bonus_plan.yaml"),
}


class BuildPyWithBundle(build_py):
    """``build_py`` that also copies the report notebooks and the sample data into the package."""

    def run(self) -> None:
        """Build the package, then add the bundle (except for an editable install)."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for src in self._bundle_files():
            target = Path(self.build_lib) / "salesnb" / "_bundle" / src.relative_to(ROOT)
            self.mkpath(str(target.parent))
            self.copy_file(str(src), str(target))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The package's files plus the bundle's."""
        extra = [] if getattr(self, "editable_mode", False) else [
            str(Path(self.build_lib) / "salesnb" / "_bundle" / src.relative_to(ROOT))
            for src in self._bundle_files()]
        return [*super().get_outputs(include_bytecode), *extra]

    @staticmethod
    def _bundle_files() -> list[Path]:
        files = sorted({src for folder, patterns in BUNDLE.items() for pattern in patterns
                        for src in (ROOT / folder).glob(pattern) if src.is_file()})
        if not any(f.suffix == ".ipynb" for f in files):
            raise SystemExit(f"setup.py: no report notebooks in {ROOT / 'notebooks'}; build "
                             "from a checkout or from the sdist")
        return files


setup(cmdclass={"build_py": BuildPyWithBundle})
