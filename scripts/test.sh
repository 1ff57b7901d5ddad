#!/usr/bin/env bash
# `make test`: the unit tests, then the integration tests against a throw-away PostgreSQL cluster
# that this script creates in a temporary folder, on a free port, and always stops and deletes on
# the way out, whether or not `make run`'s servers are up.
#
# The cluster gets Pagila v3.1.0 and v2.1.0 loaded once as template databases; each test copies
# what it needs (CREATE DATABASE ... TEMPLATE), so tests are independent and run in parallel.
# Pagila comes from .pg/pagila, filled from PAGILA_DIR (v2.1.0 from $PAGILA_DIR/v2.1.0 or
# PAGILA_V2_DIR) or by a download the first time.
#
# usage: scripts/test.sh [arguments for cargo test]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The developer's libpq variables (PGHOST, PGSSLMODE, PGOPTIONS, PGSERVICE, ...) would change what
# this script's psql calls connect to and how; the project's own PG_* settings (PG_BIN) stay. The
# tests clear them and every ROLLUP_* setting again for each `rollup` they run (tests/common).
while read -r variable; do unset "$variable"; done < <(compgen -e | grep -E '^PG[A-Z]' || true)
# shellcheck source=scripts/pg.sh
source "$ROOT/scripts/pg.sh"

pg_find_bin >/dev/null ||
    die "make test needs PostgreSQL's server binaries (initdb, pg_ctl, postgres_fdw); Debian/Ubuntu: apt-get install postgresql"
command -v psql >/dev/null || die "make test needs psql (Debian/Ubuntu: apt-get install postgresql-client)"

# Both releases, checked and kept in .pg/pagila (where `make run` keeps v3.1.0 too) before cargo
# compiles anything, so a missing file fails in seconds and the next run needs no PAGILA_DIR.
PAGILA_AGAIN="make test"
pagila_keep "$ROOT/.pg/pagila" "$PAGILA_V3" "${PAGILA_DIR:-}" yes
pagila_keep "$ROOT/.pg/pagila" "$PAGILA_V2" "$(pagila_v2_given)" yes
v3_dir=$ROOT/.pg/pagila
v2_dir=$ROOT/.pg/pagila/v2.1.0

# The Citus tests (tests/citus.rs) need the extension installed: scripts/citus.sh builds it (CI
# runs that first, before any server starts). Missing, they fail, unless the developer says
# ROLLUP_SKIP_CITUS=1 to run everything else.
citus=yes
if ! "$ROOT/scripts/citus.sh" check; then
    if [[ ${ROLLUP_SKIP_CITUS:-} == 1 ]]; then
        echo "Citus is not installed: ROLLUP_SKIP_CITUS=1, so its tests (tests/citus.rs) pass without running" >&2
        citus=no
    else
        die "Citus is not installed, and tests/citus.rs needs it: run scripts/citus.sh (builds it from ../shared/citus, a few minutes, before any server starts), or skip those tests with ROLLUP_SKIP_CITUS=1 make test"
    fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pagila-rollup-test.XXXXXX")
chmod 755 "$work"
datadir=$work/data
cleanup() {
    pg_stop "$datadir" || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$((56000 + RANDOM % 2000))
while pg_port_in_use "$port"; do port=$((port + 1)); done
password=$(new_password)

echo "test cluster: $datadir on 127.0.0.1:$port" >&2
pg_init "$datadir" "$password"
# The tests never need durability; fsync off keeps CREATE DATABASE and the loads fast.
PG_FSYNC=off pg_start "$datadir" "$port"

for template in pagila_v3:"$v3_dir" pagila_v2:"$v2_dir"; do
    name=${template%%:*}
    dir=${template#*:}
    pg_psql "$port" "$password" postgres --quiet -c "CREATE DATABASE $name" >/dev/null
    pagila_load "$port" "$password" "$name" "$dir"
done
echo "loaded Pagila v3.1.0 ($v3_dir) and v2.1.0 ($v2_dir) as templates" >&2

# tests/citus.rs starts Citus clusters of its own (a coordinator and two workers each, so that
# stopping a worker hurts no other test); it fails when Citus is missing, unless told it was skipped.
export TEST_CITUS=$citus

export TEST_PG_URL="postgres://postgres:$password@127.0.0.1:$port/postgres"
# For tests that start a cluster of their own (tests/servers.rs), to stop it under a run.
export TEST_PAGILA_DIR=$v3_dir
cd "$ROOT"
# test-hooks: the failpoints and plan recording the tests drive (src/queries/hooks.rs)
cargo test --locked --no-fail-fast --features test-hooks "$@"
