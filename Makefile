# The two commands of the README. Both are idempotent and start from a clean checkout.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test clean

setup:
	bash scripts/setup.sh

## run: set up, ingest seeds/ with the Prefect flow, serve SPARQL + UI on 127.0.0.1:8000
run: setup
	$(BIN)/claimgraph ingest seeds
	$(BIN)/claimgraph serve --host 127.0.0.1 --port 8000

## test: set up (with Java for HermiT) and run the whole suite, contract check included
test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data .pytest_cache
