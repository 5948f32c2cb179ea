# timtin: `make run` (install, index seeds/, serve) and `make test` (install, lint, tests).
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

run: index
	$(BIN)/timtin serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check indexer webapp tests benchmarks
	$(BIN)/python -m pytest

DATA ?= ../shared/data
bench: install
	$(BIN)/python benchmarks/compare.py --data $(DATA)

eval: install
	$(BIN)/timtin eval --queries $(DATA)/dev-queries.json --index $(INDEX)

clean:
	rm -rf $(VENV) var *.egg-info
