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

## test: lint, then run the whole test suite (unit + notebook + app + package tests)
test: $(STAMP)
	$(BIN)/ruff check salesnb tests benchmarks setup.py
	$(BIN)/python -m pytest -n 2

## quick: the inner loop: the unit tests not marked slow or browser, on 2 workers (under a minute, no lint)
quick: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow and not browser"

## app: serve the reports as the managers' app at http://127.0.0.1:8866/ (Ctrl-C stops it)
app: $(STAMP)
	$(BIN)/salesnb app

## validate: check the embedded dataset (exit 0 clean, 1 quarantined, 2 unusable)
validate: $(STAMP)
	$(BIN)/salesnb validate data

## sample: regenerate the embedded dataset in data/ (seed 42, scale 1)
sample: $(STAMP)
	$(BIN)/salesnb sample --out data --seed 42 --scale 1

## bench: every benchmarks/bench_*.py with its defaults, one after the other (hours; one of them: make bench BENCH=load); results in benchmarks/README.md
BENCH ?= *
bench: $(STAMP)
	@set -e; for b in benchmarks/bench_$(BENCH).py; do \
	    if [ "$$b" = benchmarks/bench_products.py ] && [ ! -d benchmarks/work/orders_10M ]; then \
	        $(BIN)/salesnb sample --out benchmarks/work/orders_10M --seed 42 --scale 73 --format parquet; \
	    fi; \
	    echo "== $$b"; $(BIN)/python "$$b"; \
	done

## help: list the targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  make /'

.PHONY: install reports app test quick validate sample bench help
