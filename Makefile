# Two commands do everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export SLC_HOME ?= $(CURDIR)/warehouse
# The pseudonymisation key lives outside the repository; `make demo` creates it once.
export SLC_PSEUDONYM_KEY_FILE ?= $(HOME)/.config/slc/pseudonym.key
# The map boundaries' package (see the `maps` target).
WORLD_ATLAS_VERSION := 2.0.2
WORLD_ATLAS_SHA256 := 032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97
MAPS := $(VENV)/share/world-atlas/countries-50m.json

.PHONY: install maps dagster-home key demo sample test test-fast bench ui ui-team lint chromium postgresql java clean

install: $(VENV)/.installed $(MAPS)

# Quiet: pip's log goes to .venv/pip.log and is shown only when the install fails.
$(VENV)/.installed: pyproject.toml samples/pyproject.toml
	@echo "installing the virtualenv in $(VENV) (a few minutes the first time)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check --upgrade pip > $(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; exit 1; }
	@$(BIN)/pip install -q --disable-pip-version-check -e '.[test,spark]' -e ./samples >> $(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

# The reports' map boundaries: Natural Earth's countries (public domain) as TopoJSON, from
# the npm package world-atlas, pinned by version and checksum and unpacked into the
# virtualenv once (reports/maps.py reads them there; nothing is fetched when a report runs).
maps: $(MAPS)

$(MAPS): | $(VENV)/.installed
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
	@mkdir -p $(@D)
	@cd $(@D) && npm pack --silent world-atlas@$(WORLD_ATLAS_VERSION) > /dev/null \
	  && echo "$(WORLD_ATLAS_SHA256)  world-atlas-$(WORLD_ATLAS_VERSION).tgz" | sha256sum --check --quiet \
	  && tar xzf world-atlas-$(WORLD_ATLAS_VERSION).tgz --strip-components=1 \
	    package/countries-50m.json package/LICENSE package/README.md \
	  && rm world-atlas-$(WORLD_ATLAS_VERSION).tgz

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@ln -sfn $(CURDIR)/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

key: install
	@$(BIN)/slc keygen

# One line per step; `make demo VERBOSE=1` shows Dagster's full log.
demo: install dagster-home key
	@$(BIN)/slc-samples place
	@$(BIN)/slc refresh $(if $(VERBOSE),--verbose)
	@echo
	@$(BIN)/slc paths

# Partner deliveries at another scale or seed: make sample SCALE=10 OUT=/tmp/sample10
SCALE ?= 1
SEED ?= 20210401
OUT ?= $(SLC_HOME)/samples
sample: install
	$(BIN)/slc-samples generate --scale $(SCALE) --seed $(SEED) --out $(OUT)

ui: install dagster-home key
	$(BIN)/slc ui --host 127.0.0.1 --port 3000

# For a team: the daemon and the webserver as two processes on a PostgreSQL instance
# (dagster.postgres.yaml, copied into $(TEAM_DAGSTER_HOME)); DAGSTER_PG_HOST, _PORT, _USER,
# _PASSWORD and _DB name the server. README.md, "Running Dagster for a team".
TEAM_DAGSTER_HOME ?= $(CURDIR)/.dagster_home_team
ui-team: install key
	DAGSTER_HOME=$(TEAM_DAGSTER_HOME) $(BIN)/slc ui-team --host 127.0.0.1 --port 3000

# Debian's chromium, for the browser tests, when it is not there yet.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL programs, for the team instance's test (tests/postgres_server.py starts
# its own throwaway server from them), when they are not there yet.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }

# Debian's Java runtime, for the dbt project's Spark target (PySpark starts a JVM), when
# there is none yet.
java:
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; }

# Everything, as CI runs it: the unit tier, then the pipeline tests (Dagster runs, servers,
# browsers). `make test-fast` is the unit tier alone: no Dagster run, a couple of minutes.
test: install chromium postgresql java
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q tests/unit

# Benchmarks, not part of `make test`: full and incremental refresh, latency, the DuckDB
# floor and the fixed overheads at each scale, written to BENCHMARKS.md (bench/run.py).
BENCH_SCALES ?= 1 10
BENCH_WORK ?= /tmp/slc-bench
bench: install key java
	$(BIN)/python -m bench.run --scales $(BENCH_SCALES) --work $(BENCH_WORK)

# Ruff (rules and format), pyright in basic mode ([tool.pyright] in pyproject.toml) and sqlfluff
# over the dbt project (the rule set and its reasons in .sqlfluff; tools/lint_sql.py). CI runs it.
PY_CODE := ingest orchestration expectations reports publishing samples bench tools tests
lint: install
	$(BIN)/ruff check $(PY_CODE)
	$(BIN)/ruff format --check $(PY_CODE)
	$(BIN)/pyright
	$(BIN)/python tools/lint_sql.py --processes 2

clean:
	rm -rf $(VENV) $(DAGSTER_HOME) $(TEAM_DAGSTER_HOME) dbt_project/target dbt_project/logs
