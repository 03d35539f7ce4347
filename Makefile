# Each target sets itself up: a virtualenv in .venv with Crosswire and its dev tools.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint typecheck unit bench serve clean

demo: $(STAMP)  ## a briefing on Acme from the built-in demo systems, no Slack, no API key
	$(BIN)/crosswire ask "brief me on Acme before my 2pm" --as dana.reyes@northwind.example

test: lint typecheck unit  ## everything CI runs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Tests start `crosswire` as a process of its own hundreds of times: each start reads the
# project's modules from cached bytecode rather than compiling them again, whatever the
# environment says (PYTHONDONTWRITEBYTECODE set would cost each start about a second).
unit: $(STAMP)  ## the tests, one worker per core (a test's own processes and servers included)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n auto --dist worksteal

bench: $(STAMP)  ## benchmarks, ratios against baselines measured in the same run
	$(BIN)/python -m benchmarks

serve: $(STAMP)  ## the bot; with no Slack settings, a sandbox workspace in this terminal
	$(BIN)/crosswire serve

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) .crosswire .pytest_cache .mypy_cache .ruff_cache
