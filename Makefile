# The project's vocabulary. Each target is a thin door into scripts/ or cargo, so the same steps
# run by hand, in CI and on a fresh machine. Connection URLs never appear on a command line here:
# scripts/dev.sh passes them to `rollup` through the environment.
#
#   make run     build, start the source and rollup servers, load Pagila if needed, run the
#                pipeline, print the weekly report (PG_MODE=docker for Docker Compose)
#   make reset   recreate the rollup database and reload the source from Pagila's files
#   make test    unit and integration tests against a throw-away cluster
#   make bench   benches/rollup.rs on the make-run servers: BENCH_RENTALS (default 10000000) and
#                BENCH_REPEAT (default 3); writes bench/results.md. Quick: BENCH_RENTALS=200000
#   make env     SOURCE_URL=... ROLLUP_URL=... lines for `eval`
#   make psql    psql into the rollup database
#   make down    stop the servers (their data stays under .pg/)
#   make build   the release binary, target/release/rollup
#   make lint    cargo fmt --check and clippy with warnings as errors

CARGO ?= cargo

.PHONY: run reset test bench env psql down build lint

run: build
	@scripts/dev.sh run

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

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
