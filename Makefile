# Each target installs what is missing first, so both commands work from a fresh clone.
TOOLS_VENV := .tools/venv
FUZZ_VENV := .tools/fuzz-venv
PYTHON ?= python3

.PHONY: up up-on-temporal-server test build tools deps clean fuzz chromium docker-compose temporal-server test-on-temporal-server

## Bring the whole system up on embedded defaults (Ctrl-C stops it).
up: deps tools build
	node dist/src/stack/dev-stack.js

## Type-check, then run every test suite (the browser tests included).
test: deps tools chromium docker-compose
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

# Shell for a recipe run as root: installs Debian package $(1), which $(2) need, updating the
# package index only when the install fails without it.
debian-install = echo "Installing Debian's $(1) for $(2)"; \
  export DEBIAN_FRONTEND=noninteractive; \
  apt-get install -y --no-install-recommends $(1) \
    || { apt-get update && apt-get install -y --no-install-recommends $(1); }

# The browser tests drive Debian's Chromium through playwright-core (no browser download);
# FIREBREAK_CHROMIUM names another Chromium or Chrome executable.
CHROMIUM := $(or $(FIREBREAK_CHROMIUM),/usr/bin/chromium)

chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; \
	elif [ -n "$(FIREBREAK_CHROMIUM)" ]; then \
	  echo "FIREBREAK_CHROMIUM=$(FIREBREAK_CHROMIUM) is not an executable: point it at Chromium or Chrome." >&2; exit 1; \
	elif [ "$$(id -u)" = 0 ]; then $(call debian-install,chromium,the browser tests); \
	else \
	  echo "The browser tests need Chromium: install Debian's package 'chromium' (sudo apt-get install chromium)," >&2; \
	  echo "or set FIREBREAK_CHROMIUM to a Chromium or Chrome executable." >&2; exit 1; \
	fi

# The deploy tests resolve docker-compose.yml with Debian's docker-compose (`docker-compose config`
# needs no Docker engine).
docker-compose:
	@if command -v docker-compose >/dev/null 2>&1; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then $(call debian-install,docker-compose,the deploy tests); \
	else \
	  echo "The deploy tests need docker-compose: install Debian's package 'docker-compose' (sudo apt-get install docker-compose)." >&2; exit 1; \
	fi

## A production-shaped Temporal: the server itself and its SQL schema tool, built from the server's
## Go module into .tools/temporal-server (bin/, and the PostgreSQL schema in schema/), so running it
## needs no Go. The first build takes minutes (4-5 on two cores); Go's module and build caches make
## the next ones quick. src/temporal/temporal-server.ts starts it on PostgreSQL.
TEMPORAL_SERVER_VERSION := v1.32.2
TEMPORAL_SERVER_DIR := .tools/temporal-server
# The server's go.mod asks for Go 1.27: a Go that is older fetches this toolchain by itself.
export GOTOOLCHAIN := go1.27.3

temporal-server: $(TEMPORAL_SERVER_DIR)/.installed-$(TEMPORAL_SERVER_VERSION)

$(TEMPORAL_SERVER_DIR)/.installed-$(TEMPORAL_SERVER_VERSION):
	@command -v go >/dev/null || { echo "make temporal-server builds the Temporal server from source and needs Go (https://go.dev/dl/)." >&2; exit 1; }
	@if [ -d $(TEMPORAL_SERVER_DIR) ]; then chmod -R u+w $(TEMPORAL_SERVER_DIR) && rm -rf $(TEMPORAL_SERVER_DIR); fi
	mkdir -p $(TEMPORAL_SERVER_DIR)/bin
	GOBIN="$(abspath $(TEMPORAL_SERVER_DIR)/bin)" go install \
	  go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mv $(TEMPORAL_SERVER_DIR)/bin/server $(TEMPORAL_SERVER_DIR)/bin/temporal-server
	mv $(TEMPORAL_SERVER_DIR)/bin/sql $(TEMPORAL_SERVER_DIR)/bin/temporal-sql-tool
	go mod download go.temporal.io/server@$(TEMPORAL_SERVER_VERSION)
	cp -R "$$(go env GOMODCACHE)/go.temporal.io/server@$(TEMPORAL_SERVER_VERSION)/schema/postgresql/v12" $(TEMPORAL_SERVER_DIR)/schema
	chmod -R u+w $(TEMPORAL_SERVER_DIR)/schema
	@touch $@

## The same system as `make up`, with the Temporal server itself on the embedded PostgreSQL (Go needed to build it).
up-on-temporal-server: deps tools build temporal-server
	FIREBREAK_TEMPORAL=server node dist/src/stack/dev-stack.js

## The durability and fault suites again, against that server on PostgreSQL instead of the dev server.
test-on-temporal-server: deps tools build temporal-server
	FIREBREAK_TEMPORAL=server npx jest test/integration/durability.test.ts test/faults test/temporal/temporal-server.test.ts test/stack/dev-stack-on-temporal-server.test.ts

## Hostile input: Schemathesis over every route with every role, against its own stack (bench/fuzz.ts).
fuzz: deps tools build $(FUZZ_VENV)/.installed
	node dist/bench/fuzz.js $(FUZZ_ARGS)

$(FUZZ_VENV)/.installed: fuzz-requirements.txt
	$(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --disable-pip-version-check -r fuzz-requirements.txt
	@touch $@

clean:
	rm -rf dist $(TOOLS_VENV) $(FUZZ_VENV)
