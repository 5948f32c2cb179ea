# timtin: `make run` (install, index seeds/, serve), `make serve` (serve the existing index),
# `make lint` (ruff, mypy) and `make test` (install, lint, tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INDEX  ?= var/index
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run index serve test lint bench eval clean

$(BIN)/timtin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench,cluster]'
	touch $@

install: $(BIN)/timtin

index: install
	$(BIN)/timtin index seeds/ --index $(INDEX)

SERVE = $(BIN)/timtin serve --index $(INDEX) --host $(HOST) --port $(PORT)

run: index
	$(SERVE)

serve: install  # the existing index, without re-indexing
	$(SERVE)

lint: install
	$(BIN)/ruff check indexer webapp tests benchmarks
	$(BIN)/mypy indexer webapp

test: lint
	$(BIN)/python -m pytest

DATA ?= ../shared/data
bench: install
	$(BIN)/python benchmarks/compare.py --data $(DATA)

eval: install
	$(BIN)/timtin eval --queries $(DATA)/dev-queries.json --index $(INDEX)

clean:
	rm -rf $(VENV) var *.egg-info
