# Two commands: `make run` (serve the API with sample data) and `make test` (the whole suite).
# The first interpreter that really runs and is 3.11+ (pyenv shims may exist without a version behind).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
  if $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEV_ENV := DEBUG=true

.PHONY: run test install messages lint format migrate sample-data worker beat clean bench fuzz client

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo 'Python 3.11+ is required (python3 on PATH)'; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Translations are compiled from the committed .po files (Babel, so no GNU gettext is needed).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

%.mo: %.po $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(BIN)/.installed $(MO_FILES)

messages: install  ## refresh locale/*/django.po from the code (needs GNU gettext), then compile
	$(BIN)/python manage.py makemessages --all --no-obsolete --ignore=build --ignore=bench --ignore=fixtures
	$(MAKE) install

run: install  ## serve on http://127.0.0.1:8000 with the sample data (SQLite unless DATABASE_URL)
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_sample_data
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install  ## the suite; PostgreSQL/Redis tests run when DATABASE_URL/REDIS_URL point at them
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

sample-data: migrate
	$(DEV_ENV) $(BIN)/python manage.py load_sample_data

bench: install  ## benchmark on PostgreSQL + gunicorn + wrk (see bench/run.py); writes bench/results.json
	$(BIN)/python bench/run.py $(BENCH_ARGS)

fuzz: install  ## the contract test with a large budget (CONTRACT_EXAMPLES per operation and role)
	CONTRACT_EXAMPLES=$${CONTRACT_EXAMPLES:-100} $(BIN)/python -m pytest library_project/tests/test_contract.py $(PYTEST_ARGS)

client: install  ## a Python client generated from the OpenAPI schema, in build/library-client
	mkdir -p build
	$(DEV_ENV) $(BIN)/python manage.py spectacular --format openapi-json --file build/openapi.json
	printf 'post_hooks: []\n' > build/client-config.yaml
	$(BIN)/openapi-python-client generate --path build/openapi.json --meta setup \
	  --output-path build/library-client --overwrite --config build/client-config.yaml

worker: install  ## a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A library_project worker --loglevel=info

beat: install  ## the one Celery beat (needs REDIS_URL)
	$(BIN)/celery -A library_project beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache build
