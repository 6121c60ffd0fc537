# The two commands of the README. Each sets up its own virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test schema bench browser graphiql web

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

demo: $(BIN)/.installed web
	$(BIN)/zhurnal demo

# The GraphiQL browser test (tests/system/test_graphiql.py) drives Debian's chromium. Installed
# here when missing and root; otherwise the test fails and says how to install it.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x "$(CHROMIUM)" ] && [ -z "$$ZHURNAL_CHROMIUM" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "make: no $(CHROMIUM); the GraphiQL browser test will fail until you run" \
	         "'sudo apt-get install -y chromium' (or set ZHURNAL_CHROMIUM)" >&2; \
	  fi; \
	fi

test: $(BIN)/.installed browser web
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 4 --dist loadfile -m "not timing"
	$(BIN)/pytest -m timing

# The reference web client (web/, issue 21), built into web/dist, which the server serves at
# /app/. npm ci from the committed lock file when it changed; the build when a source did.
web: web/dist/index.html

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/index.html: web/node_modules/.installed schema.graphql web/index.html web/vite.config.ts \
		web/codegen.ts web/tsconfig.json $(shell find web/src -path web/src/gql -prune -o -type f -print 2>/dev/null)
	cd web && npm run build --silent

# Rebuild GraphiQL's vendored browser builds (server/static/graphiql/) from npm; needs npm.
graphiql:
	tools/graphiql/build.sh

schema: $(BIN)/.installed
	$(BIN)/zhurnal schema > schema.graphql

# Benchmarks (issue 8): seeds .zhurnal/bench once (~2 min), then ~8 min; see docs/benchmarks.md.
bench: $(BIN)/.installed
	$(BIN)/python -m bench.run
