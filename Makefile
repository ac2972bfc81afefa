# The two commands of the README. Both are idempotent and start from a clean checkout.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-test run test clean

## setup: what running needs (venv, package, spaCy model, YASGUI)
setup:
	bash scripts/setup.sh

## setup-test: that, plus what only the tests need (pytest, playwright, Java, Chromium, docker-compose)
setup-test:
	bash scripts/setup.sh --test

## run: set up, ingest seeds/ with the Prefect flow, serve SPARQL + UI on 127.0.0.1:8000
run: setup
	$(BIN)/claimgraph ingest seeds
	$(BIN)/claimgraph serve --host 127.0.0.1 --port 8000

## test: set up for the tests and run the whole suite, contract check included
test: setup-test
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data .pytest_cache
