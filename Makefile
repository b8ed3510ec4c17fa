# Each target installs what is missing first, so both commands work from a fresh clone.
TOOLS_VENV := .tools/venv
FUZZ_VENV := .tools/fuzz-venv
PYTHON ?= python3

.PHONY: up test build tools deps clean fuzz chromium

## Bring the whole system up on embedded defaults (Ctrl-C stops it).
up: deps tools build
	node dist/src/stack/dev-stack.js

## Type-check, then run every test suite (the browser tests included).
test: deps tools chromium
	npm test

build: deps
	npm run build

deps: node_modules/.package-lock.json

# The lock file changes with every dependency change; a change to package.json's scripts alone
# must not reinstall node_modules (npm ci deletes it first).
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

tools: $(TOOLS_VENV)/.installed

$(TOOLS_VENV)/.installed: tools-requirements.txt
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools-requirements.txt
	@touch $@

# The browser tests drive Debian's Chromium through playwright-core (no browser download);
# FIREBREAK_CHROMIUM names another Chromium or Chrome executable.
CHROMIUM := $(or $(FIREBREAK_CHROMIUM),/usr/bin/chromium)

chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; \
	elif [ -n "$(FIREBREAK_CHROMIUM)" ]; then \
	  echo "FIREBREAK_CHROMIUM=$(FIREBREAK_CHROMIUM) is not an executable: point it at Chromium or Chrome." >&2; exit 1; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium \
	    || { apt-get update && apt-get install -y --no-install-recommends chromium; }; \
	else \
	  echo "The browser tests need Chromium: install Debian's package 'chromium' (sudo apt-get install chromium)," >&2; \
	  echo "or set FIREBREAK_CHROMIUM to a Chromium or Chrome executable." >&2; exit 1; \
	fi

## Hostile input: Schemathesis over every route with every role, against its own stack (bench/fuzz.ts).
fuzz: deps tools build $(FUZZ_VENV)/.installed
	node dist/bench/fuzz.js $(FUZZ_ARGS)

$(FUZZ_VENV)/.installed: fuzz-requirements.txt
	$(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --disable-pip-version-check -r fuzz-requirements.txt
	@touch $@

clean:
	rm -rf dist $(TOOLS_VENV) $(FUZZ_VENV)
