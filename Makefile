# salesnb — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## install: create .venv and install salesnb with its development tools
install: $(STAMP)

## reports: run every report notebook on the embedded sample data into outputs/
reports: $(STAMP)
	$(BIN)/salesnb run --all

## test: lint, then run the whole test suite (unit + notebook tests)
test: $(STAMP)
	$(BIN)/ruff check salesnb tests benchmarks
	$(BIN)/python -m pytest -n 2

## app: serve the reports as the managers' app at http://127.0.0.1:8866/ (Ctrl-C stops it)
app: $(STAMP)
	$(BIN)/salesnb app

## validate: check the embedded dataset (exit 0 clean, 1 quarantined, 2 unusable)
validate: $(STAMP)
	$(BIN)/salesnb validate data

## sample: regenerate the embedded dataset in data/ (seed 42, scale 1)
sample: $(STAMP)
	$(BIN)/salesnb sample --out data --seed 42 --scale 1

## bench: load+validate benchmark at 1M and 10M order lines (slow; results in benchmarks/README.md)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py

## help: list the targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  make /'

.PHONY: install reports app test validate sample bench help
