# Kehu: `make run` sets up, loads demo data and serves; `make test` sets up, lints and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KEHU := $(BIN)/kehu

.PHONY: run test setup system-packages lint format messages bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

kehu/locale/%/LC_MESSAGES/django.mo: kehu/locale/%/LC_MESSAGES/django.po
	msgfmt --check -o $@ $<

# Debian packages beyond Python: Pango for WeasyPrint (the review report's PDF), Noto CJK so
# Chinese renders in it, poppler-utils (pdftotext) for its test. Installed when missing and
# running as root; otherwise named, and the rest of the setup goes on.
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk poppler-utils

system-packages:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "== installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "Debian packages missing (PDF reports need them; install as root):" $$missing >&2; \
	fi

setup: system-packages $(VENV)/.installed node_modules/.installed kehu/locale/zh_Hans/LC_MESSAGES/django.mo kehu/locale/en/LC_MESSAGES/django.mo

run: setup
	$(KEHU) migrate --no-input
	$(KEHU) demo --if-empty
	$(KEHU) collectstatic --no-input --verbosity 0
	$(KEHU) serve --no-migrate

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(KEHU) makemigrations --check --dry-run
	@for po in kehu/locale/*/LC_MESSAGES/django.po; do \
	  out=$$(msgfmt --statistics -o /dev/null $$po 2>&1); echo "$$po: $$out"; \
	  case "$$out" in *untranslated*|*fuzzy*) echo "incomplete catalog: $$po"; exit 1;; esac; \
	done

test: lint
	KEHU_STATIC_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage \
	  $(BIN)/pytest -n 2 -q

# Regenerate the catalogs after changing strings; then translate the new zh_Hans entries.
messages: setup
	$(KEHU) makemessages -l zh_Hans -l en --no-location --no-obsolete -i node_modules -i .venv -i var
	msgen -o kehu/locale/en/LC_MESSAGES/django.po kehu/locale/en/LC_MESSAGES/django.po

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python bench/customer_list.py

# Bad input, longer than per commit: the forms, the import parsers and the API (schemathesis)
# with 500 random examples each instead of the few fixed ones CI runs.
FUZZ_TESTS := tests/security/test_fuzz_forms.py tests/sheets/test_fuzz_parsers.py tests/api/test_schema.py
fuzz: setup
	KEHU_FUZZ_EXAMPLES=$${KEHU_FUZZ_EXAMPLES:-500} \
	KEHU_STATIC_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage \
	  $(BIN)/pytest -q --hypothesis-show-statistics $(FUZZ_TESTS)

clean:
	rm -rf $(VENV) node_modules var
