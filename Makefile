# futures-eventstudy — `make help` lists the targets.
PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
PRICES_DIR ?=
REPORTS    := reports

# An empty PRICES_DIR means "download from Yahoo through the cache".
ifneq ($(strip $(PRICES_DIR)),)
export EVENTSTUDY_PRICES_DIR := $(abspath $(PRICES_DIR))
endif
export MPLBACKEND := Agg

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

.PHONY: help install test report bench lint clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## Build the local virtual environment (.venv) from pyproject.toml

test: $(STAMP) ## Run the test suite (set PRICES_DIR to use a price snapshot)
	$(BIN)/python -m pytest

report: $(STAMP) ## Build the HTML report in reports/ (offline: PRICES_DIR=/path/to/csv-snapshots)
	$(BIN)/python -m eventstudy.report --out $(REPORTS)

bench: $(STAMP) ## Time the engine and the placebo distribution against a statsmodels loop
	$(BIN)/python bench/bench_engine.py

lint: $(STAMP) ## Check the code style with ruff
	$(BIN)/ruff check eventstudy tests bench

clean: ## Remove the virtual environment, the report and caches
	rm -rf $(VENV) $(REPORTS) .pytest_cache
