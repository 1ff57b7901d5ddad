# The project's vocabulary. Each target is a thin door into scripts/ or cargo, so the same steps
# run by hand, in CI and on a fresh machine. Connection URLs never appear on a command line here:
# scripts/dev.sh passes them to `rollup` through the environment.
#
#   make citus   `make run` with the rollup database on a local Citus cluster (a coordinator and
#                two workers under .pg/citus-*; Citus built from ../shared/citus when missing,
#                scripts/citus.sh); the same as `make run CITUS=1`. docs/citus.md
#   make run     check Pagila's files (PAGILA_DIR or a download, kept in .pg/pagila), build, start
#                the source and rollup servers, load Pagila if needed, run the pipeline, print the
#                weekly report (PG_MODE=docker for Docker Compose)
#   make reset   recreate the rollup database and reload the source from Pagila's files
#   make test    unit and integration tests against a throw-away cluster
#   make bench   benches/rollup.rs on the make-run servers: BENCH_RENTALS (default 10000000) and
#                BENCH_REPEAT (default 3); writes bench/results.md. Quick: BENCH_RENTALS=200000
#   make env     `export SOURCE_URL=...` lines: eval "$(make -s env)"
#   make psql    psql into the rollup database
#   make down    stop the servers (their data stays under .pg/)
#   make build   the release binary, target/release/rollup
#   make install copy it to $(DESTDIR)$(PREFIX)/bin/rollup (default /usr/local/bin/rollup), the
#                path the README's cron and systemd examples run
#   make lint    cargo fmt --check and clippy with warnings as errors

CARGO ?= cargo
PREFIX ?= /usr/local
# Where cargo puts the binary; it honours CARGO_TARGET_DIR, and so must install.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run citus reset test bench env psql down build lint install

# CITUS=1 on make's command line reaches scripts/dev.sh (every target: run, reset, env, psql, bench).
export CITUS

# Not `run: build`: Pagila's files, the server binaries and psql are checked first, so anything
# missing shows in seconds, not after a four-minute build. A failed build says what still runs.
run:
	@scripts/dev.sh prepare
	@$(MAKE) --no-print-directory build || { scripts/dev.sh running; exit 1; }
	@scripts/dev.sh run

citus:
	@$(MAKE) --no-print-directory run CITUS=1

reset:
	@scripts/dev.sh reset

test:
	@scripts/test.sh

bench:
	@scripts/dev.sh bench

env:
	@scripts/dev.sh env

psql:
	@scripts/dev.sh psql

down:
	@scripts/dev.sh down

build:
	@$(CARGO) build --release --locked

# No `install: build`: `sudo make install` would otherwise build as root into target/.
install:
	@test -x '$(TARGET_DIR)/release/rollup' || { echo "error: $(TARGET_DIR)/release/rollup is missing; run 'make build' first" >&2; exit 1; }
	install -d '$(DESTDIR)$(PREFIX)/bin'
	install -m 0755 '$(TARGET_DIR)/release/rollup' '$(DESTDIR)$(PREFIX)/bin/rollup'

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) clippy --locked --all-targets --features test-hooks -- -D warnings
