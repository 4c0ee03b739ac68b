# geo_app — `make run` serves the app with demo data; `make test` runs every check.
# Both set everything up first (`make setup`): Debian packages, a virtualenv, the package.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMPS := var/stamps
HOST ?= 127.0.0.1
PORT ?= 5000
# The demo's "today" (geo_app/demo/synth.py DEMO_TODAY): `make run` shows the demo as of that day,
# whatever the machine's date. Set GEO_APP_TODAY= (empty) to follow the machine's date instead.
GEO_APP_TODAY ?= 2025-12-31
export GEO_APP_TODAY

.DEFAULT_GOAL := help
.PHONY: help setup system venv run test lint format pytest bench clean-db i18n

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: system venv ## Install system packages, the virtualenv and the geo-app command

system: $(STAMPS)/system
$(STAMPS)/system: scripts/install_system_deps.sh
	bash scripts/install_system_deps.sh
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

run: setup ## Start the database, migrate, load the demo data and serve on http://127.0.0.1:5000
	$(BIN)/geo-app db start
	$(BIN)/geo-app db upgrade
	$(BIN)/geo-app load-demo
	$(BIN)/geo-app serve --host $(HOST) --port $(PORT)

test: setup lint pytest ## Set up, lint, type-check and run the whole test suite

lint: ## ruff (lint + format check), mypy and the import contracts of docs/ARCHITECTURE.md
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

pytest:
	$(BIN)/pytest

format: ## Reformat the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

i18n: ## Re-extract translatable strings into the Vietnamese catalog and compile it
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k gettext -k ngettext:1,2 -k lazy_gettext \
		--project geo_app --version 0.1.0 --sort-by-file --no-wrap -o geo_app/translations/messages.pot geo_app
	$(BIN)/pybabel update -i geo_app/translations/messages.pot -d geo_app/translations -l vi \
		--no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d geo_app/translations -l vi
	@echo "Now translate the empty msgstr entries in geo_app/translations/vi/LC_MESSAGES/messages.po and run make i18n again."

bench: setup ## Run the benchmark scripts (they print figures)
	$(BIN)/python scripts/bench/maps.py

clean-db: ## Stop and delete the embedded database (demo data is reloaded by `make run`)
	-$(BIN)/geo-app db stop
	rm -rf var/pg var/pg-secret.json
