# Each target installs what is missing first, so both commands work from a fresh clone.
TOOLS_VENV := .tools/venv
FUZZ_VENV := .tools/fuzz-venv
PYTHON ?= python3

.PHONY: up test build tools deps clean fuzz

## Bring the whole system up on embedded defaults (Ctrl-C stops it).
up: deps tools build
	node dist/src/stack/dev-stack.js

## Type-check, then run every test suite.
test: deps tools
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

## Hostile input: Schemathesis over every route with every role, against its own stack (bench/fuzz.ts).
fuzz: deps tools build $(FUZZ_VENV)/.installed
	node dist/bench/fuzz.js $(FUZZ_ARGS)

$(FUZZ_VENV)/.installed: fuzz-requirements.txt
	$(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --disable-pip-version-check -r fuzz-requirements.txt
	@touch $@

clean:
	rm -rf dist $(TOOLS_VENV) $(FUZZ_VENV)
