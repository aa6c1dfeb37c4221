# 同心 Tongxin — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install lint pytest trust miniprogram preview-fixtures openapi bench clean chromium

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## schemathesis in a venv of its own (its pins are not the project's): tests/trust/test_schemathesis.py
SCHEMATHESIS := schemathesis==4.32.5
ST_STAMP     := .venv-schemathesis/.installed-4.32.5

$(ST_STAMP):
	test -x .venv-schemathesis/bin/python || $(PYTHON) -m venv .venv-schemathesis
	.venv-schemathesis/bin/python -m pip install --quiet --upgrade "pip>=24"
	.venv-schemathesis/bin/python -m pip install --quiet "$(SCHEMATHESIS)"
	touch $(ST_STAMP)

install: $(STAMP) $(ST_STAMP)

## Install and start the service on the embedded database with demo data.
run: $(STAMP)
	$(PY) -m server serve --demo

## Install everything and run every check and test (what CI runs).
test: $(STAMP) lint pytest miniprogram

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## The admin browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@{ test -x /usr/bin/chromium && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || \
		{ apt-get update && apt-get install -y --no-install-recommends chromium fonts-noto-cjk; }

pytest: $(STAMP) $(ST_STAMP) chromium
	$(PY) -m pytest -q --durations=15 -n auto
	$(PY) -m tests.trust.report

## The trust harness alone, with its table of figures.
trust: $(STAMP) $(ST_STAMP) chromium
	TONGXIN_HOSTILE_EXAMPLES=60 $(PY) -m pytest -q tests/trust
	$(PY) -m tests.trust.report

openapi: $(STAMP)
	mkdir -p build
	$(PY) -m server openapi > build/openapi.json

## Mini-program: eslint, WeChat's wcc/wcsc over every WXML/WXSS, jest (pages, components, the
## OpenAPI contract and its recorded fixtures) and the preview of every screen with its layout
## checks (pictures in test-artifacts/miniprogram/, index.html = contact sheet).
miniprogram: openapi chromium
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error && \
		OPENAPI_JSON=$(CURDIR)/build/openapi.json npm run check

## Re-record the preview's API fixtures from the demo backend (fake WeChat), then redraw the screens.
preview-fixtures: $(STAMP)
	cd miniprogram && npm run preview:record

bench: $(STAMP)
	$(PY) bench/core_loop.py

clean:
	rm -rf $(VENV) .venv-schemathesis build var
