# Two commands for a fresh machine with Python >= 3.11:
#   make run    installs the app into .venv and serves serve.py (what the image serves)
#               on http://localhost:8501; `streamlit run app.py` serves the bare page
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

# serve.py, as the Docker image does: the warm-up before the first visitor and the security
# headers come with it, so a newcomer runs the same server a class meets.
run: $(VENV)/.runtime
	$(BIN)/streamlit run serve.py --server.port=$(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark in benchmarks/, each at its default settings (the README's table says
# which options give its other figures).
BENCHMARKS := bench_core bench_single bench_app bench_move bench_maps bench_load bench_bytes \
	bench_browser bench_layout bench_replay bench_follow bench_formula_map bench_noise_floor

bench: $(VENV)/.dev
	set -e; for b in $(BENCHMARKS); do echo "== $$b"; $(BIN)/python benchmarks/$$b.py; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
