# The two commands of the README. Each sets up its own virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test schema bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/zhurnal demo

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 4 --dist loadfile -m "not timing"
	$(BIN)/pytest -m timing

schema: $(BIN)/.installed
	$(BIN)/zhurnal schema > schema.graphql

# Benchmarks (issue 8): seeds .zhurnal/bench once (~2 min), then ~8 min; see docs/benchmarks.md.
bench: $(BIN)/.installed
	$(BIN)/python -m bench.run
