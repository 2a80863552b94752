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
# Report pages are independent: build two at a time, each page's output kept together.
MAKEFLAGS += --jobs=2 --output-sync=target

# uv installs the dependencies in a fraction of pip's time (a uv on PATH, else one put in
# the venv); pip does it when uv cannot be had or fails. The venv keeps pip either way.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	{ uv=$$(command -v uv || { $(BIN)/python -m pip install --quiet uv >/dev/null && \
	    echo $(BIN)/uv; }) && $$uv pip install --quiet --python $(BIN)/python -e '.[dev]'; } || \
	  $(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

.PHONY: help install test report screenshots bench lint clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

install: $(STAMP) ## Build the local virtual environment (.venv) from pyproject.toml

# Two workers (pytest-xdist); the tests of the session's report and runs share one.
TEST_JOBS ?= 2
test: $(STAMP) ## Run the test suite on TEST_JOBS processes (set PRICES_DIR to use a price snapshot)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadgroup

report: $(STAMP) $(REPORTS)/index.html ## Build the HTML report in reports/ (offline: PRICES_DIR=/path/to/csv-snapshots)

# Report pages are files: a notebook is executed again only when it, the
# library, the events, a study file or the prices changed.
NOTEBOOKS    := $(sort $(wildcard notebooks/[0-9][0-9]_*.py))
PAGES        := $(patsubst notebooks/%.py,$(REPORTS)/%.html,$(NOTEBOOKS))
LIBRARY      := $(wildcard eventstudy/*.py eventstudy/*/*.py) $(wildcard notebooks/index.md)
STUDIES      := $(wildcard studies/*.toml)
PRICES_SRC   := $(or $(EVENTSTUDY_PRICES_DIR),$(EVENTSTUDY_CACHE_DIR),data/cache)
PRICES_FILES := $(wildcard $(PRICES_SRC)/*)
REPORT_INPUTS := $(LIBRARY) data/events.csv $(STUDIES) $(PRICES_FILES) $(REPORTS)/.prices $(STAMP)

# Records which prices folder the pages were built from; rewritten (and so
# newer than the pages) only when PRICES_DIR names another folder.
$(REPORTS)/.prices: FORCE
	@mkdir -p $(@D)
	@echo '$(PRICES_SRC)' | cmp -s - $@ || echo '$(PRICES_SRC)' > $@

FORCE:

# The prices of every study are read once before any page runs: a data problem
# (offline without PRICES_DIR, a broken file) stops the build in one line.
REPORT_CMD   := $(BIN)/python -m eventstudy.report --notebooks notebooks --studies studies

$(REPORTS)/.data-ok: $(REPORT_INPUTS)
	@$(REPORT_CMD) --check-data
	@touch $@

$(REPORTS)/%.html: notebooks/%.py $(REPORT_INPUTS) $(REPORTS)/.data-ok
	$(REPORT_CMD) --out $(REPORTS) --page $<

$(REPORTS)/index.html: $(PAGES) $(REPORT_INPUTS)
	$(REPORT_CMD) --out $(REPORTS) --index $(PAGES)

screenshots: report ## Photograph every report page and a run's report.html in Chromium (reports/screenshots/)
	$(BIN)/python tests/browser.py --report $(REPORTS) --study studies/article.toml \
	  --out $(REPORTS)/screenshots

# The Python peer `eventstudy` 0.1a12 (PyPI) in its own venv: its import name
# clashes with ours. PEER_PYTHON=/path/to/python uses another one.
PEER_VENV   := .peer-venv
PEER_PYTHON ?= $(PEER_VENV)/bin/python

$(PEER_VENV)/bin/python:
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet 'eventstudy==0.1a12'

# BENCH_ARGS=--fresh-clone also times make install/report/test on a fresh clone (minutes).
BENCH_ARGS ?=
bench: $(STAMP) $(PEER_PYTHON) ## Every speed and memory target beside its figure, analyse beside the peer; reports/bench.csv
	$(BIN)/python bench/bench_pipeline.py --out $(REPORTS)/bench.csv --size-power $(REPORTS)/size_power.csv --peer-python $(PEER_PYTHON) $(BENCH_ARGS)

lint: $(STAMP) ## Check the code style with ruff
	$(BIN)/ruff check eventstudy tests bench

clean: ## Remove the virtual environment, the report and caches
	rm -rf $(VENV) $(PEER_VENV) $(REPORTS) .pytest_cache
