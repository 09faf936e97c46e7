# Kaoping: `make demo` runs the main job on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_test
# The demo runs on its own embedded databases, recreated each time, so that it can be
# run again and never touches the data under var/.
DEMO_VAR ?= $(CURDIR)/var/demo-env

.PHONY: install demo test test-pg run stop bench chaos lint fuzz clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@KAOPING_VAR_DIR=$(DEMO_VAR) $(BIN)/kaoping stop >/dev/null 2>&1 || true
	rm -rf $(DEMO_VAR)
	KAOPING_VAR_DIR=$(DEMO_VAR) $(BIN)/kaoping run
	@status=0; KAOPING_VAR_DIR=$(DEMO_VAR) $(BIN)/kaoping demo || status=$$?; \
	KAOPING_VAR_DIR=$(DEMO_VAR) $(BIN)/kaoping stop; \
	echo "The demo's databases stay in $(DEMO_VAR); explore them with"; \
	echo "  KAOPING_VAR_DIR=$(DEMO_VAR) make run"; \
	echo "then sign in to the portal at http://127.0.0.1:$${PORTAL_PORT:-5004}/ as a person above."; \
	exit $$status

# The suite runs on TEST_WORKERS processes (pytest-xdist), each on its own databases.
# Three on two cores: a dozen tests mostly wait on processes, servers and browsers, and
# an idle worker takes queued tests from a busy one (worksteal).
TEST_WORKERS ?= 3
TEST_DIST ?= worksteal

test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist $(TEST_DIST)

test-pg: $(STAMP)
	KAOPING_TEST_PG=$(PG_TEST_URL) $(BIN)/pytest -n $(TEST_WORKERS) --dist $(TEST_DIST)

run: $(STAMP)
	$(BIN)/kaoping run

stop: $(STAMP)
	$(BIN)/kaoping stop

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Kill -9, replays and a database outage against the suite on PostgreSQL (a few
# minutes; CHAOS_SECONDS, CHAOS_OUTAGE, CHAOS_NUMBERS, CHAOS_PG_URL, ... in bench/chaos.py).
chaos: $(STAMP)
	$(BIN)/python bench/chaos.py

lint: $(STAMP)
	$(BIN)/ruff check .

# Schemathesis against each service's OpenAPI document as admin; any 5xx fails.
fuzz: $(STAMP)
	.ci/fuzz

clean:
	rm -rf var/demo var/log var/run
