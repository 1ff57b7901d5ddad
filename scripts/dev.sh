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
# `make run` calls `prepare` before cargo builds (four minutes on a fresh machine), so what a run
# needs besides the binary (Pagila's files, server binaries, psql) is missing within seconds, not
# after the build. Pagila is kept in .pg/pagila (PAGILA_DIR's layout: v3.1.0 at the top, v2.1.0 in
# v2.1.0/), taken from PAGILA_DIR or downloaded once, where `make reset` and `make test` find it.
#
# usage: scripts/dev.sh prepare|up|run|reset|env|psql|down|bench|running
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/pg.sh
source "$ROOT/scripts/pg.sh"

STATE=$ROOT/.pg
SOURCE_PORT=${SOURCE_PORT:-55432}
ROLLUP_PORT=${ROLLUP_PORT:-55433}
SOURCE_DB=pagila
ROLLUP_DB=rollup
# CITUS=1 (`make citus`, `make run CITUS=1`): the rollup database on a Citus cluster instead, a
# coordinator and two workers under .pg/citus-*, native only (docs/citus.md); the source stays a
# plain server. ROLLUP_PORT is then the coordinator's, the workers' the two ports after it.
CITUS=${CITUS:-${ROLLUP_CITUS:-}}
PLAIN_ROLLUP_PORT=$ROLLUP_PORT
if [[ $CITUS == 1 ]]; then
    ROLLUP_PORT=${CITUS_PORT:-55434}
    CITUS_WORKER_PORTS=("$((ROLLUP_PORT + 1))" "$((ROLLUP_PORT + 2))")
fi
# Where `make build` puts it; cargo honours CARGO_TARGET_DIR, so do we.
ROLLUP_BIN=${ROLLUP_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/rollup}
PAGILA=$STATE/pagila

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
[[ $CITUS != 1 || $MODE == native ]] ||
    die "CITUS=1 runs native clusters only; docker/compose.citus.yaml is the Citus variant for Docker (docs/citus.md)"

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
# Pattern and replacement quoted: a password is text, not a glob, and `&` in it stays `&`.
READER_FDW_SOURCE_URL=${FDW_SOURCE_URL/"postgres:$PASSWORD@"/"rollup_reader:$READER_PASSWORD@"}

compose() {
    PGPASSWORD=$PASSWORD SOURCE_PORT=$SOURCE_PORT ROLLUP_PORT=$ROLLUP_PORT PAGILA_DIR=$PAGILA \
        docker compose -f "$ROOT/docker/compose.yaml" "$@"
}

# make_command TARGET: how to run `make TARGET` for these same servers, as the user would type it:
# the ports and PG_MODE only when they are not what `make` picks by itself, so every hint we print
# works as printed.
make_command() {
    local words=()
    [[ $SOURCE_PORT == 55432 ]] || words+=("SOURCE_PORT=$SOURCE_PORT")
    [[ $PLAIN_ROLLUP_PORT == 55433 ]] || words+=("ROLLUP_PORT=$PLAIN_ROLLUP_PORT")
    [[ $CITUS != 1 || $ROLLUP_PORT == 55434 ]] || words+=("CITUS_PORT=$ROLLUP_PORT")
    [[ $MODE == docker && ${PG_MODE:-auto} == docker ]] && words+=("PG_MODE=docker")
    [[ $CITUS == 1 ]] && words+=("CITUS=1")
    words+=(make "$@")
    echo "${words[*]}"
}

# shell_quote VALUE: VALUE in single quotes, safe for `eval` whatever it holds.
shell_quote() {
    local quote="'\\''"
    printf "'%s'" "${1//\'/$quote}"
}

# Pagila's files in .pg/pagila, checked. v3.1.0 is needed (from PAGILA_DIR, else downloaded);
# v2.1.0 only by `make test`, so here it is copied when PAGILA_DIR holds it and else left to
# scripts/test.sh, and a `make run` never fails for a file it does not load.
prepare() {
    pagila_keep "$PAGILA" "$PAGILA_V3" "${PAGILA_DIR:-}" yes
    pagila_keep "$PAGILA" "$PAGILA_V2" "$(pagila_v2_given)" no || true
    if [[ $MODE == native ]]; then
        command -v psql >/dev/null || die "make run needs psql (Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq)"
    fi
}

# running: what of this checkout's servers is up, and the command that stops it, on stderr. Said
# when a run, reset or bench fails, so nobody is left guessing whether servers still hold ports.
running() {
    local up=()
    if [[ $MODE == docker ]]; then
        local service
        for service in $(compose ps --status running --services 2>/dev/null || true); do
            case $service in
            source) up+=("source container on 127.0.0.1:$SOURCE_PORT (volume pagila-rollup_source-data)") ;;
            rollup) up+=("rollup container on 127.0.0.1:$ROLLUP_PORT (volume pagila-rollup_rollup-data)") ;;
            esac
        done
    else
        local bin
        if bin=$(pg_find_bin); then
            pg_as_owner "$bin/pg_ctl" status -D "$STATE/source" >/dev/null 2>&1 &&
                up+=("source server on 127.0.0.1:$SOURCE_PORT (data in $STATE/source)")
            pg_as_owner "$bin/pg_ctl" status -D "$STATE/rollup" >/dev/null 2>&1 &&
                up+=("rollup server on 127.0.0.1:$PLAIN_ROLLUP_PORT (data in $STATE/rollup)")
            local node
            for node in coordinator worker1 worker2; do
                pg_as_owner "$bin/pg_ctl" status -D "$STATE/citus-$node" >/dev/null 2>&1 &&
                    up+=("Citus $node (data in $STATE/citus-$node)")
            done
        fi
    fi
    if ((${#up[@]} == 0)); then
        echo "none of make run's servers is running" >&2
        return 0
    fi
    echo "still running:" >&2
    printf '  %s\n' "${up[@]}" >&2
    echo "stop them with: $(make_command down)" >&2
}

# On a failed run/reset/bench, say what is still running (after the error line itself).
report_on_failure() {
    local status=$?
    ((status == 0)) || running
    return "$status"
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
    echo "loading Pagila from $PAGILA into $SOURCE_DB ..." >&2
    pagila_load "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB" "$PAGILA"
}

up() {
    prepare
    if [[ $MODE == docker ]]; then
        # The source container loads Pagila on its first start (docker/load-pagila.sh).
        compose up --detach --wait >&2
        return
    fi
    if [[ $CITUS == 1 ]]; then
        # Built before any server starts: installing the build dependencies may upgrade the
        # server package under a running server (../shared/citus/README.md).
        "$ROOT/scripts/citus.sh" ensure
    fi
    pg_init "$STATE/source" "$PASSWORD"
    pg_start "$STATE/source" "$SOURCE_PORT"
    pg_ensure_db "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB"
    if [[ $CITUS == 1 ]]; then
        local node port
        for node in coordinator:"$ROLLUP_PORT" worker1:"${CITUS_WORKER_PORTS[0]}" worker2:"${CITUS_WORKER_PORTS[1]}"; do
            port=${node#*:}
            node=${node%%:*}
            pg_init "$STATE/citus-$node" "$PASSWORD"
            citus_start "$STATE/citus-$node" "$port"
        done
        citus_db "$PASSWORD" "$ROLLUP_DB" "$ROLLUP_PORT" "${CITUS_WORKER_PORTS[@]}"
        return
    fi
    pg_init "$STATE/rollup" "$PASSWORD"
    pg_start "$STATE/rollup" "$ROLLUP_PORT"
    pg_ensure_db "$ROLLUP_PORT" "$PASSWORD" "$ROLLUP_DB"
}

rollup() {
    [[ -x $ROLLUP_BIN ]] || die "$ROLLUP_BIN is missing; run 'make build'"
    "$ROLLUP_BIN" "$@"
}

# `make bench ROLLUP_CITUS=1` (or CITUS=1): the same synthetic source rolled up on one server and
# on the local Citus cluster, a full build and an incremental run after 0.5% churn on each, with
# every step's time from the runs' logs, into bench/results-citus.md. BENCH_RENTALS (default 1
# million here), BENCH_REPEAT (default 1). What runs where is in docs/citus.md.
bench_citus() {
    local rentals=${BENCH_RENTALS:-1000000} repeat=${BENCH_REPEAT:-1} logs=$STATE/bench-citus
    local database=pagila_bench_citus_$rentals round target port
    up
    pg_init "$STATE/rollup" "$PASSWORD"
    pg_start "$STATE/rollup" "$PLAIN_ROLLUP_PORT"
    [[ -x $ROLLUP_BIN ]] || (cd "$ROOT" && cargo build --release --locked)
    mkdir -p "$logs"
    rm -f "$logs"/*.log
    local source_admin=${SOURCE_URL%/*}/$database
    source_is_loaded || load_source
    if [[ $(pg_psql "$SOURCE_PORT" "$PASSWORD" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'") != 1 ]]; then
        echo "generating $rentals rentals into $database ..." >&2
        # A generation that fails leaves no half-made database for the next bench to take.
        rollup generate --rentals "$rentals" --into "$database" >&2 || {
            pg_psql "$SOURCE_PORT" "$PASSWORD" postgres --quiet -c "DROP DATABASE IF EXISTS $database" >/dev/null
            die "rollup generate failed"
        }
    fi
    local plain_url="postgres://postgres:$PASSWORD@127.0.0.1:$PLAIN_ROLLUP_PORT/rollup_bench"
    local citus_url="postgres://postgres:$PASSWORD@127.0.0.1:$ROLLUP_PORT/rollup_bench"
    for round in $(seq 1 "$repeat"); do
        pg_recreate_db "$PLAIN_ROLLUP_PORT" "$PASSWORD" rollup_bench
        for port in "$ROLLUP_PORT" "${CITUS_WORKER_PORTS[@]}"; do pg_recreate_db "$port" "$PASSWORD" rollup_bench; done
        citus_db "$PASSWORD" rollup_bench "$ROLLUP_PORT" "${CITUS_WORKER_PORTS[@]}"
        for target in single:"$plain_url" citus:"$citus_url"; do
            echo "round $round: full build on ${target%%:*} ..." >&2
            bench_run "$logs/full-${target%%:*}-$round.log" "${target#*:}" "$source_admin" --full
        done
        rollup generate --churn 0.5 --into "$database" >&2
        for target in single:"$plain_url" citus:"$citus_url"; do
            echo "round $round: incremental run after 0.5% churn on ${target%%:*} ..." >&2
            bench_run "$logs/incremental-${target%%:*}-$round.log" "${target#*:}" "$source_admin"
        done
        ROLLUP_URL=$citus_url SOURCE_URL=$source_admin FDW_SOURCE_URL=$source_admin rollup verify >&2
    done
    local results=$ROOT/bench/results-citus.md marker='<!-- analysis: kept by make bench -->'
    bench_citus_report "$rentals" "$repeat" "$logs" >"$results.new"
    # The hand-written analysis below the marker stays, as in bench/results.md.
    if [[ -f $results ]] && grep -qF -- "$marker" "$results"; then
        printf '\n' >>"$results.new"
        sed -n "/^$marker\$/,\$p" "$results" >>"$results.new"
    fi
    mv "$results.new" "$results"
    echo "wrote bench/results-citus.md (logs in $logs)" >&2
}

# bench_run LOG ROLLUP_URL SOURCE_URL [run arguments]: one `rollup run`, its log in LOG and its
# wall time (ms, the whole process) as the log's last line.
bench_run() {
    local log=$1 rollup_url=$2 source_url=$3 started
    shift 3
    started=$(date +%s%3N)
    ROLLUP_URL=$rollup_url SOURCE_URL=$source_url FDW_SOURCE_URL=$source_url ROLLUP_LOOKBACK=0 \
        rollup run "$@" 2>"$log" || {
        tail -n 5 "$log" >&2
        die "rollup run $* failed (log: $log)"
    }
    echo "wall_ms=$(($(date +%s%3N) - started))" >>"$log"
}

# The figures: wall time per run, then each step's time per kind of run, one column per server.
# shellcheck disable=SC2016 # the backquotes are Markdown's
bench_citus_report() {
    local rentals=$1 repeat=$2 logs=$3 kind round
    printf '# Benchmark: the rollup on Citus against one server\n\n'
    printf 'Written by `make bench ROLLUP_CITUS=1` (scripts/dev.sh, bench_citus). %s generated rentals\n' "$rentals"
    printf '(`rollup generate`), %s round(s). Each round: a full build (`rollup run --full`) on the single\n' "$repeat"
    printf 'server and on the local Citus cluster (a coordinator and two workers, native clusters on this\n'
    printf 'same machine, Citus 13.2.2, 32 shards), 0.5%% churn (`rollup generate --churn 0.5`), then an\n'
    printf 'incremental run on each; then `rollup verify` on the Citus rollup (it passed, or this file would\n'
    printf 'not have been written). Default settings but a lookback of 0. Times in ms: the whole `rollup`\n'
    printf 'process, wall clock; step times are those the runner logs (`step done ... elapsed_ms`), summed\n'
    printf 'per step name over the run (a full build runs its per-film steps once per film range, on\n'
    printf 'several connections side by side: their sum is work, not wall time).\n\n'
    printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf -- '- commit: %s\n' "$(git -C "$ROOT" rev-parse --short HEAD)"
    printf -- '- machine: %s cores, %s RAM, shared by every server (source, single rollup server, coordinator, two workers)\n' \
        "$(nproc)" "$(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo)"
    printf -- '- servers: %s, default settings\n\n' \
        "$(pg_psql "$ROLLUP_PORT" "$PASSWORD" postgres -tAc "SELECT split_part(version(), ',', 1)")"
    printf '| run | single server | Citus 1 + 2 |\n| --- | ---: | ---: |\n'
    for kind in full incremental; do
        local single=() citus=()
        for round in $(seq 1 "$repeat"); do
            single+=("$(sed -n 's/^wall_ms=//p' "$logs/$kind-single-$round.log")")
            citus+=("$(sed -n 's/^wall_ms=//p' "$logs/$kind-citus-$round.log")")
        done
        printf '| %s | %s | %s |\n' "$kind" "${single[*]}" "${citus[*]}"
    done
    for kind in full incremental; do
        printf '\n### Steps of the %s run (round 1, ms)\n\n| step | single server | Citus 1 + 2 |\n| --- | ---: | ---: |\n' "$kind"
        join -t '|' -a 1 -a 2 -e '' -o 0,1.2,2.2 \
            <(bench_steps "$logs/$kind-single-1.log") <(bench_steps "$logs/$kind-citus-1.log") |
            awk -F'|' '{printf "| %s | %s | %s |\n", $1, $2, $3}'
    done
}

# bench_steps LOG: "step|ms" per step name, summed over the run, sorted by name (for join).
bench_steps() {
    sed -n 's/.*step done step="\([^"]*\)".*elapsed_ms=\([0-9]*\).*/\1 \2/p' "$1" |
        awk '{sum[$1] += $2} END {for (s in sum) printf "%s|%d\n", s, sum[s]}' | LC_ALL=C sort -t '|' -k 1,1
}

case "${1:-}" in
prepare | run | reset | bench) trap report_on_failure EXIT ;;
esac
# For pagila_fix's advice, the make target that got here: `prepare` and `up` are steps of `make run`.
case "${1:-}" in
reset | bench) PAGILA_AGAIN=$(make_command "$1") ;;
*) PAGILA_AGAIN=$(make_command run) ;;
esac

case "${1:-}" in
prepare) prepare ;;
up) up ;;
run)
    up
    [[ $MODE == docker ]] || source_is_loaded || load_source
    ensure_reader
    SOURCE_URL=$READER_SOURCE_URL FDW_SOURCE_URL=$READER_FDW_SOURCE_URL rollup run
    rollup report
    # The same weeks as a picture, beside the clusters (git-ignored).
    rollup chart -o "$STATE/weekly.svg"
    # The PNG hint names the binary by the path that works from here and gets its ROLLUP_URL from
    # `make env`: `rollup` is on the PATH only after `make install`.
    bin=${ROLLUP_BIN#"$PWD"/}
    echo "chart of the weekly series: $STATE/weekly.svg; for a PNG: eval \"\$($(make_command -s env))\" && $bin chart -o weekly.png" >&2
    ;;
reset)
    if [[ $MODE == docker ]]; then
        compose down --volumes >&2
        up
    else
        up
        if [[ $CITUS == 1 ]]; then
            for port in "$ROLLUP_PORT" "${CITUS_WORKER_PORTS[@]}"; do pg_recreate_db "$port" "$PASSWORD" "$ROLLUP_DB"; done
            citus_db "$PASSWORD" "$ROLLUP_DB" "$ROLLUP_PORT" "${CITUS_WORKER_PORTS[@]}"
        else
            pg_recreate_db "$ROLLUP_PORT" "$PASSWORD" "$ROLLUP_DB"
        fi
        pg_recreate_db "$SOURCE_PORT" "$PASSWORD" "$SOURCE_DB"
        load_source
    fi
    echo "reset: rollup database recreated, source reloaded from Pagila; the next '$(make_command run)' is a full build" >&2
    ;;
bench)
    if [[ $CITUS == 1 ]]; then
        bench_citus
        exit 0
    fi
    # benches/rollup.rs on these servers; it generates its sources into databases of their own.
    up
    [[ $MODE == docker ]] || source_is_loaded || load_source
    cd "$ROOT" && cargo bench --locked --bench rollup
    ;;
env)
    # What `make run` gives `rollup run`; SOURCE_ADMIN_URL (the superuser) for `rollup generate`.
    # `export` lines, quoted, so `eval "$(make -s env)"` hands them to every program started after.
    for pair in SOURCE_URL="$READER_SOURCE_URL" ROLLUP_URL="$ROLLUP_URL" \
        FDW_SOURCE_URL="$READER_FDW_SOURCE_URL" SOURCE_ADMIN_URL="$SOURCE_URL"; do
        echo "export ${pair%%=*}=$(shell_quote "${pair#*=}")"
    done
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
        for node in coordinator worker1 worker2; do pg_stop "$STATE/citus-$node"; done
    fi
    ;;
running) running ;;
*) die "usage: scripts/dev.sh prepare|up|run|reset|env|psql|down|bench|running" ;;
esac
