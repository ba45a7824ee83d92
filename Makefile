# The two commands of the README: `make run` (set up, build the data, start the dashboard)
# and `make test` (set up, run every test). Needs python3.11 with venv, and make.
# `make test-fast`: the inner loop while working, every test but the browser and slow ones (pytest.ini).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-requirements
DB := data/qmi.duckdb
PORT ?= 8501

.PHONY: run test test-fast build setup clean catalogue

setup: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Built when missing only: a live database may hold managers' imports that a rebuild would drop.
$(DB): | $(STAMP)
	$(BIN)/python -m qmi_metrics build --db $(DB)

build: $(STAMP)
	$(BIN)/python -m qmi_metrics build --db $(DB)

run: $(DB)
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# On both cores: the tests without a browser in two processes (each file in one, so its fixtures are built once),
# then the browser tests one at a time (each starts servers and Chromium, and some measure time).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser"
	$(BIN)/python -m pytest -m browser

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser and not slow"

# The English catalogue from the code's messages: new ones listed with an empty msgstr, to translate by hand.
catalogue: $(STAMP)
	$(BIN)/python tools/i18n_migrate.py

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .pytest_cache .hypothesis
