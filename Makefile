# Flight Deck: `make run` then `make test` on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests need Debian's chromium and chromium-driver (apt-get, as root) and axe-core from npm.
BROWSER_STAMP := node_modules/.installed

.PHONY: run test lint ui sample bench expectations clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# The charting library's bundle every deck page carries, built once into the environment, and
	# the project's own modules compiled (where PYTHONDONTWRITEBYTECODE is set, every run would).
	$(BIN)/python -c "from pipelines.deck.charts import install_bundle; install_bundle()"
	$(BIN)/python -m compileall -q pipelines assets >/dev/null
	touch $(STAMP)

$(BROWSER_STAMP): package.json package-lock.json
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; }
	npm ci --no-audit --no-fund
	touch $(BROWSER_STAMP)

## run: install (once), then run the nightly job on data/sample/ and publish to outputs/
run: $(STAMP)
	$(BIN)/flightdeck run

## test: lint (ruff, sqlfluff) and the whole test suite (no timing assertions; a few minutes at most)
test: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint sql
	$(BIN)/python -m pytest

## ui: the Dagster UI on the same definitions, at http://127.0.0.1:3000
ui: $(STAMP)
	mkdir -p .dagster_home
	cp pipelines/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

## sample: regenerate the committed sample inbox (canonical extracts and raw exports) from its fixed seed
sample: $(STAMP)
	find data/sample/inbox -mindepth 1 -maxdepth 1 ! -name raw -exec rm -rf {} +
	$(BIN)/flightdeck synth --out data/sample/inbox
	$(BIN)/flightdeck synth --raw-samples --out data/sample/inbox/raw

## expectations: regenerate expectations/*.json from the contract
expectations: $(STAMP)
	$(BIN)/flightdeck expectations

## bench: the national benchmark (backfill, increment, history, fixed cost) against DuckDB's typed load (not in CI)
bench: $(STAMP)
	$(BIN)/python -m pipelines.bench --root bench

clean:
	rm -rf outputs warehouse bench .dagster_home node_modules
