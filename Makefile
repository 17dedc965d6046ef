# Two commands for a fresh machine with Python >= 3.11:
#   make run    installs the app into .venv and starts it on http://localhost:8501
#   make test   installs the test tools into .venv and runs lint + the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The project itself is installed editable, so app.py, tests and benchmarks import
# momentum_viz and surfaces like any installed package (no sys.path tricks).
$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.port=$(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_single.py
	$(BIN)/python benchmarks/bench_app.py
	$(BIN)/python benchmarks/bench_maps.py
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_browser.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
