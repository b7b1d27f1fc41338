# QuantForge: `make run` sets everything up and runs the main workflow; `make test` runs every test.
# Both work on a fresh Debian machine with Swift, as root or with sudo.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# System packages the build and tests need; installed only when missing.
APT_PACKAGES := libopenblas-dev liblapacke-dev libhdf5-dev libdeflate-dev pkg-config postgresql slurm-wlm munge redis-server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Python checkers that open our files in the reference implementations (git-ignored venv).
CHECK_VENV := .qf/venv
CHECK_PACKAGES := numpy safetensors h5py pandas tables schemathesis
# The marker names the package set, so a venv made for an older set is completed.
CHECK_READY := $(CHECK_VENV)/.ready-numpy-safetensors-h5py-pandas-tables-schemathesis
export QF_PYTHON := $(CURDIR)/$(CHECK_VENV)/bin/python
# The shared folder with TradeMaster's data (tests read it); CI lays it beside the repository.
export QF_SHARED_DIR ?= $(abspath $(CURDIR)/../shared)

.PHONY: deps check-venv build test run tour openapi bench bench-compute bench-tile bench-backtest bench-agents bench-malloc bench-service bench-redis bench-queue bench-evaluation bench-tune bench-slurm clean

## deps: install the missing system packages (apt-get update first, only when something is missing)
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## check-venv: Python venv with numpy, safetensors, h5py, pandas and PyTables (interchange tests) and schemathesis (the API contract), from PyPI
check-venv: $(CHECK_READY)
$(CHECK_READY):
	@mkdir -p .qf
	python3 -m venv $(CHECK_VENV)
	$(CHECK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(CHECK_PACKAGES)
	@touch $@

build: deps
	swift build

## test: every test, against real OpenBLAS, real files, the Python reference readers, and a
## single-node Slurm cluster of the project's own (started for the tests, stopped after them)
test: deps check-venv
	swift build --build-tests
	@# Three suites run after the rest, each in a process of its own. The database-outage suite
	@# trains on workers with 2-second task leases: in the same process as the CPU-bound suites,
	@# which hold Swift's cooperative threads (two on two cores) for seconds, its lease heartbeats
	@# could not run in time. The Slurm suite's workers are training processes that would take the
	@# machine's cores from the other suites' timing-sensitive services (leases, WebSockets).
	@# schemathesis drives a live server flat out for a minute; it keeps that load away from the
	@# timing-sensitive suites. (Beside it the slow-client test once waited out its 120 s: the
	@# schemathesis child had inherited the server's sockets, which ProcessRunner now closes.)
	@# scripts/test-stage.sh keeps each stage's output in .qf/test-logs and stops a stage that
	@# prints nothing for ten minutes, naming its unfinished tests (a hang is said again at the end).
	@rm -rf .qf/test-logs
	@if $(SUDO) scripts/slurm-cluster.sh up; then export SLURM_CONF=$(CURDIR)/.qf/slurm/slurm.conf; \
	else echo "make test: no Slurm cluster; the Slurm tests will say they were skipped"; fi; \
	scripts/test-stage.sh main --skip SlurmTests --skip DatabaseOutageTests --skip SchemathesisTests; status=$$?; \
	scripts/test-stage.sh outage --filter DatabaseOutageTests || status=1; \
	scripts/test-stage.sh schemathesis --filter SchemathesisTests || status=1; \
	scripts/test-stage.sh slurm --filter SlurmTests || status=1; \
	$(SUDO) scripts/slurm-cluster.sh down; \
	cat .qf/test-logs/*.hung 2>/dev/null; \
	exit $$status

## run: build, start the project's PostgreSQL, migrate, seed the demo user and the sample dataset, and
## serve the API with an embedded worker on 127.0.0.1:8080 (Ctrl-C stops it); `qf demo` walks the flow
run: deps
	swift build -c release --product qf
	.build/release/qf serve --worker --demo --host 127.0.0.1 --port 8080

## tour: the command-line workflows on embedded defaults: ingest, describe, backtest, sweep, train, evaluate
tour: deps
	swift build -c release --product qf
	.build/release/qf info
	.build/release/qf demo sine
	.build/release/qf ingest data/synthetic.csv --symbol SYN --out .qf/run/synthetic.h5
	.build/release/qf data preprocess .qf/run/synthetic.h5 --op trademaster_features \
	  --op split:fractions=0.7,0.15,0.15 --out .qf/run/synthetic_features.h5
	.build/release/qf data describe .qf/run/synthetic_features_train.h5
	.build/release/qf backtest --data .qf/run/synthetic.h5 --strategy sma_cross --param fast=10 --param slow=30 \
	  --commission 0.001 --report .qf/run/synthetic-report.html --charts .qf/run/synthetic-charts.json
	.build/release/qf sweep --data .qf/run/synthetic.h5 --strategy sma_cross --grid fast=2:30 --grid slow=10:120:5 \
	  --fill close --commission 0.001 --convention vectorbt --top 5 --out .qf/run/synthetic-sweep.csv
	@btc=$(QF_SHARED_DIR)/data/trademaster/algorithmic_trading/BTC/BTC.csv; if [ -f $$btc ]; then \
	  .build/release/qf ingest $$btc --out .qf/run/btc.h5 && .build/release/qf data describe .qf/run/btc.h5 && \
	  .build/release/qf backtest --data .qf/run/btc.h5 --param fast=10 --param slow=30 --commission 0.002 --cash 1000000 --short \
	    --report .qf/run/btc-report.html && \
	  .build/release/qf sweep --data .qf/run/btc.h5 --grid fast=2:51 --grid slow=10:208:2 --fill close --commission 0.001 \
	    --convention vectorbt --top 10 --out .qf/run/btc-sweep.csv; fi
	@dj30=$(QF_SHARED_DIR)/data/trademaster/portfolio_management/dj30/test.csv; if [ -f $$dj30 ]; then \
	  .build/release/qf ingest $$dj30 --out .qf/run/dj30_2021.h5 > /dev/null && \
	  .build/release/qf portfolio --data .qf/run/dj30_2021.h5 --rebalance monthly --commission 0.001 --cash 1000000 \
	    --report .qf/run/dj30-portfolio.html; fi
	rm -rf .qf/run/ppo_ar1 && .build/release/qf train --config configs/synthetic/ppo_ar1.json --out .qf/run/ppo_ar1
	@if [ -d $(QF_SHARED_DIR)/data/trademaster ]; then \
	  rm -rf .qf/run/dqn_btc .qf/run/ppo_dj30 && \
	  .build/release/qf train --config configs/algorithmic_trading/dqn_btc.json --out .qf/run/dqn_btc && \
	  .build/release/qf evaluate --checkpoint .qf/run/dqn_btc \
	    --data $(QF_SHARED_DIR)/data/trademaster/algorithmic_trading/BTC/valid.csv && \
	  .build/release/qf train --config configs/portfolio_management/ppo_dj30.json --out .qf/run/ppo_dj30; fi

## bench: all benchmarks side by side with their peers (figures go to BENCHMARKS.md by hand)
bench: bench-compute bench-tile bench-backtest bench-agents bench-malloc bench-service bench-redis bench-queue bench-evaluation bench-tune bench-slurm

bench-compute: deps
	Benchmarks/compute.sh

bench-tile: deps
	Benchmarks/tile-vs-openblas.sh

bench-backtest: deps
	Benchmarks/backtest.sh

bench-agents: deps
	Benchmarks/agents.sh

bench-service: deps
	Benchmarks/service.sh

bench-redis: deps
	Benchmarks/redis.sh

bench-queue: deps
	Benchmarks/queue.sh

bench-evaluation: deps
	Benchmarks/evaluation.sh

bench-tune: deps
	Benchmarks/tune.sh

bench-slurm: deps
	Benchmarks/slurm.sh

bench-malloc: deps
	cd Benchmarks && swift package --disable-sandbox benchmark --target ComputeBenchmarks

clean:
	rm -rf .build Benchmarks/.build

## openapi: write the API document the code generates to Sources/QuantForgeClient/openapi.json, which the typed client is generated from (a test checks they agree)
openapi:
	swift build --product qf
	.build/debug/qf openapi > Sources/QuantForgeClient/openapi.json.tmp && mv Sources/QuantForgeClient/openapi.json.tmp Sources/QuantForgeClient/openapi.json
