#!/usr/bin/env bash
# The local stack behind `make run`, `make reset`, `make env`, `make psql` and `make down`: a source
# server holding Pagila and a rollup server, either as two native clusters under .pg/ (the default when
# PostgreSQL's server binaries exist) or as docker/compose.yaml (PG_MODE=docker, or automatically when
# there are no server binaries but Docker answers).
#
# Connection URLs reach `rollup` through the environment, never through its command line, so the
# generated passwords do not show in `ps`.
#
# `rollup run` reads the source as rollup_reader, a role that can only read the six tables the
# pipeline needs (scripts/source_reader.sql), with a password of its own in .pg/reader_password;
# the superuser is used to set the servers up, to load Pagila and by `make bench`.
#
# usage: scripts/dev.sh up|run|reset|env|psql|down|bench
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/pg.sh
source "$ROOT/scripts/pg.sh"

STATE=$ROOT/.pg
SOURCE_PORT=${SOURCE_PORT:-55432}
ROLLUP_PORT=${ROLLUP_PORT:-55433}
SOURCE_DB=pagila
ROLLUP_DB=rollup
ROLLUP_BIN=${ROLLUP_BIN:-$ROOT/target/release/rollup}

choose_mode() {
    case "${PG_MODE:-auto}" in
    native | docker) echo "$PG_MODE" ;;
    auto)
        if pg_find_bin >/dev/null; then
            echo native
        elif docker info >/dev/null 2>&1; then
            echo docker
        else
            die "no PostgreSQL server binaries (initdb, pg_ctl) and no running Docker engine; install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) or start Docker"
        fi
        ;;
    *) die "PG_MODE must be native, docker or auto (got '$PG_MODE')" ;;
    esac
}
MODE=$(choose_mode)

# password FILE: the password kept in .pg/FILE, generated on first use.
password() {
    if [[ ! -s $STATE/$1 ]]; then
        mkdir -p "$STATE"
        (umask 077 && new_password >"$STATE/$1")
    fi
    cat "$STATE/$1"
}
PASSWORD=$(password password)
READER_PASSWORD=$(password reader_password)

export SOURCE_URL="postgres://postgres:$PASSWORD@127.0.0.1:$SOURCE_PORT/$SOURCE_DB"
export ROLLUP_URL="postgres://postgres:$PASSWORD@127.0.0.1:$ROLLUP_PORT/$ROLLUP_DB"
if [[ $MODE == docker ]]; then
    # The rollup container reaches the source by its service name on the compose network.
    export FDW_SOURCE_URL="postgres://postgres:$PASSWORD@source:5432/$SOURCE_DB"
else
    export FDW_SOURCE_URL=$SOURCE_URL
fi
# The same source as the read-only role, for `rollup run` (SOURCE_URL and FDW_SOURCE_URL).
READER_SOURCE_URL="postgres://rollup_reader:$READER_PASSWORD@127.0.0.1:$SOURCE_PORT/$SOURCE_DB"
READER_FDW_SOURCE_URL=${FDW_SOURCE_URL/postgres:$PASSWORD@/rollup_reader:$READER_PASSWORD@}

compose() {
    PGPASSWORD=$PASSWORD SOURCE_PORT=$SOURCE_PORT ROLLUP_PORT=$ROLLUP_PORT PAGILA_DIR=$(pagila_files "$STATE/pagila") \
        docker compose -f "$ROOT/docker/compose.yaml" "$@"
}

source_is_loaded() {
    [[ $(pg_psql "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB" -tAc "SELECT to_regclass('public.rental') IS NOT NULL") == t ]]
}

# The read-only role on the source, (re)granted each time: `make reset` recreates the tables. The
# password goes to psql on its standard input, never on a command line.
ensure_reader() {
    pg_psql "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB" --quiet -f "$ROOT/scripts/source_reader.sql" >/dev/null
    printf "ALTER ROLE rollup_reader PASSWORD '%s';\n" "$READER_PASSWORD" |
        pg_psql "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB" --quiet >/dev/null
}

load_source() {
    local dir
    dir=$(pagila_files "$STATE/pagila")
    echo "loading Pagila from $dir into $SOURCE_DB ..." >&2
    pagila_load "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB" "$dir"
}

up() {
    if [[ $MODE == docker ]]; then
        # The source container loads Pagila on its first start (docker/load-pagila.sh).
        compose up --detach --wait >&2
        return
    fi
    pg_init "$STATE/source" "$PASSWORD"
    pg_init "$STATE/rollup" "$PASSWORD"
    pg_start "$STATE/source" "$SOURCE_PORT"
    pg_start "$STATE/rollup" "$ROLLUP_PORT"
    pg_ensure_db "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB"
    pg_ensure_db "$ROLLUP_PORT" "$PASSWORD" "$ROLLUP_DB"
}

rollup() {
    [[ -x $ROLLUP_BIN ]] || die "$ROLLUP_BIN is missing; run 'make build'"
    "$ROLLUP_BIN" "$@"
}

case "${1:-}" in
up) up ;;
run)
    up
    [[ $MODE == docker ]] || source_is_loaded || load_source
    ensure_reader
    SOURCE_URL=$READER_SOURCE_URL FDW_SOURCE_URL=$READER_FDW_SOURCE_URL rollup run
    rollup report
    # The same weeks as a picture, beside the clusters (git-ignored).
    rollup chart -o "$STATE/weekly.svg"
    echo "chart of the weekly series: $STATE/weekly.svg (rollup chart -o weekly.png for a PNG)" >&2
    ;;
reset)
    if [[ $MODE == docker ]]; then
        compose down --volumes >&2
        up
    else
        up
        pg_recreate_db "$ROLLUP_PORT" "$PASSWORD" "$ROLLUP_DB"
        pg_recreate_db "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB"
        load_source
    fi
    echo "reset: rollup database recreated, source reloaded from Pagila; the next 'make run' is a full build" >&2
    ;;
bench)
    # benches/rollup.rs on these servers; it generates its sources into databases of their own.
    up
    [[ $MODE == docker ]] || source_is_loaded || load_source
    cd "$ROOT" && cargo bench --locked --bench rollup
    ;;
env)
    # What `make run` gives `rollup run`; SOURCE_ADMIN_URL (the superuser) for `rollup generate`.
    echo "SOURCE_URL=$READER_SOURCE_URL"
    echo "ROLLUP_URL=$ROLLUP_URL"
    echo "FDW_SOURCE_URL=$READER_FDW_SOURCE_URL"
    echo "SOURCE_ADMIN_URL=$SOURCE_URL"
    ;;
psql)
    [[ $MODE == docker ]] && exec docker compose -f "$ROOT/docker/compose.yaml" exec rollup psql -U postgres -d "$ROLLUP_DB"
    PGPASSWORD=$PASSWORD exec psql -h 127.0.0.1 -p "$ROLLUP_PORT" -U postgres -d "$ROLLUP_DB"
    ;;
down)
    if [[ $MODE == docker ]]; then
        compose down >&2
    else
        pg_stop "$STATE/source"
        pg_stop "$STATE/rollup"
    fi
    ;;
*) die "usage: scripts/dev.sh up|run|reset|env|psql|down|bench" ;;
esac
