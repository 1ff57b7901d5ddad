# shellcheck shell=bash
# Helpers for throw-away local PostgreSQL clusters, sourced by scripts/dev.sh (make run) and
# scripts/test.sh (make test).
#
# Why a library of functions and not docker or a system service: the project must come up on a fresh
# machine that has only the distribution's server binaries, without touching the system's own cluster.
# Each cluster lives in a folder we own, listens on 127.0.0.1 only, has no Unix socket (so it needs no
# writable /var/run/postgresql) and requires a password (scram-sha-256), the same as a production server
# would, so the runner's and postgres_fdw's password handling is exercised every time.
#
# initdb refuses to run as root; when we are root the clusters run as the `postgres` OS user.

set -euo pipefail

die() {
    echo "error: $*" >&2
    exit 1
}

# The folder holding initdb/pg_ctl/postgres: PG_BIN if set, else PATH, else the newest
# /usr/lib/postgresql/*/bin. Prints nothing and fails when there is none. (`return 0`, not a bare
# `return`: in an EXIT trap, dev.sh's report of what still runs, a bare one returns the failure.)
pg_find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN has no pg_ctl"
        echo "$PG_BIN"
        return 0
    fi
    local found
    if found=$(command -v pg_ctl 2>/dev/null) && [[ -x "$(dirname "$found")/initdb" ]]; then
        dirname "$(readlink -f "$found")"
        return 0
    fi
    # An unmatched glob stays literal and fails the -x test below.
    found=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -n "$found" && -x "$found/pg_ctl" ]] || return 1
    echo "$found"
}

# Runs a command as the OS user that owns the clusters.
pg_as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
pg_port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pg_init DATADIR PASSWORD: creates a cluster whose superuser `postgres` has PASSWORD.
pg_init() {
    local datadir=$1 password=$2 bin
    bin=$(pg_find_bin) || die "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; install them (Debian/Ubuntu: apt-get install postgresql) or use PG_MODE=docker"
    [[ -f "$datadir/PG_VERSION" ]] && return 0
    mkdir -p "$datadir"
    chmod 700 "$datadir"
    local pwfile
    pwfile=$(mktemp)
    printf '%s\n' "$password" >"$pwfile"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user to own the clusters (initdb refuses root)"
        chown postgres: "$datadir" "$pwfile"
    fi
    pg_as_owner "$bin/initdb" --pgdata="$datadir" --username=postgres --pwfile="$pwfile" \
        --auth-host=scram-sha-256 --auth-local=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
        >"$datadir.initdb.log" 2>&1 || {
        rm -f "$pwfile"
        cat "$datadir.initdb.log" >&2
        die "initdb failed for $datadir"
    }
    rm -f "$pwfile"
}

# pg_start DATADIR PORT: starts the cluster unless it already runs. PG_SERVER_OPTIONS adds server
# settings (`-c name=value ...`; the Citus nodes' shared_preload_libraries).
pg_start() {
    local datadir=$1 port=$2 bin
    bin=$(pg_find_bin) || die "no PostgreSQL server binaries found"
    if pg_as_owner "$bin/pg_ctl" status -D "$datadir" >/dev/null 2>&1; then
        return 0
    fi
    if pg_port_in_use "$port"; then
        die "port $port on 127.0.0.1 is taken by another program; stop it or choose other ports (SOURCE_PORT=... ROLLUP_PORT=... make run)"
    fi
    pg_as_owner "$bin/pg_ctl" start --wait --silent -D "$datadir" -l "$datadir/server.log" \
        -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=${PG_FSYNC:-on} ${PG_SERVER_OPTIONS:-}" \
        >/dev/null || {
        tail -n 20 "$datadir/server.log" >&2 || true
        die "PostgreSQL in $datadir did not start (log above)"
    }
}

# pg_stop DATADIR: stops the cluster if it runs.
pg_stop() {
    local datadir=$1 bin
    [[ -f "$datadir/PG_VERSION" ]] || return 0
    bin=$(pg_find_bin) || return 0
    if pg_as_owner "$bin/pg_ctl" status -D "$datadir" >/dev/null 2>&1; then
        pg_as_owner "$bin/pg_ctl" stop --wait --silent -m fast -D "$datadir" >/dev/null
    fi
}

# Pagila releases this project knows, as "tag folder schema-sha256 data-sha256". v3.1.0 is the one
# `make run` loads (rentals in 2022); v2.1.0 (rentals in 2005, plus 182 never returned dated 2020) is
# tested too. The folder is where the release's two files sit inside a Pagila folder: the layout of
# PAGILA_DIR (v3.1.0 at the top, v2.1.0 in v2.1.0/) and of the copy kept in .pg/pagila.
# shellcheck disable=SC2034 # used by dev.sh and test.sh, which source this file
PAGILA_V3="pagila-v3.1.0 . 8ce358e4c8014087b85296694a0893887bd7a4190e3ce407f2721b86b98e5707 fb81bec377687c83e11d2a24916ae28656d85550bf0ada798305bf7e2af9823b"
# shellcheck disable=SC2034 # the same
PAGILA_V2="v2.1.0 v2.1.0 a0671c55e3dbdd867d60901d0db1add1b2056070eca535ec793a5c0a5ea776fa 583749d14243ded70db2f48b7cd830855ebe9292e803164255eaede983e2fe43"
PAGILA_URL=https://raw.githubusercontent.com/devrimgunduz/pagila

# pagila_fix: the one thing to do when Pagila's files can be had neither from PAGILA_DIR nor from
# GitHub, said the same way by every script. PAGILA_AGAIN is the command the caller was started as
# (e.g. `make run`), so the advice can be typed as printed.
pagila_fix() {
    echo "run: PAGILA_DIR=/path/to/pagila ${PAGILA_AGAIN:-make run} (a folder holding pagila-schema.sql and pagila-data.sql of pagila-v3.1.0, and v2.1.0/ holding those of v2.1.0; it is copied into .pg/pagila once), or allow network access to $PAGILA_URL"
}

# pagila_keep KEPT RELEASE GIVEN_DIR DOWNLOAD: makes KEPT/<folder> hold RELEASE's pagila-schema.sql
# and pagila-data.sql with the sha256 listed above. A file already there with that sha256 stays;
# else it is copied from GIVEN_DIR when that is set, else downloaded from GitHub when DOWNLOAD is
# yes. Each file arrives under a .part name and is renamed only once its sha256 matches, so a
# truncated copy or download is never loaded. Returns 1 when DOWNLOAD is no and the files are
# neither kept nor given; dies with pagila_fix's advice when they cannot be had.
#
# Why keep a copy instead of reading PAGILA_DIR in place: PAGILA_DIR is given once (to `make run`
# or CI), and `make reset` and `make test` later find the same checked files without it.
pagila_keep() {
    local kept=$1 release=$2 given=$3 download=$4
    local tag folder schema_sum data_sum dir file sum
    read -r tag folder schema_sum data_sum <<<"$release"
    dir=$kept/$folder
    [[ $folder == . ]] && dir=$kept
    for file in pagila-schema.sql pagila-data.sql; do
        [[ $file == pagila-schema.sql ]] && sum=$schema_sum || sum=$data_sum
        pagila_sum_is "$sum" "$dir/$file" && continue
        mkdir -p "$dir"
        if [[ -n $given ]]; then
            [[ -f $given/$file ]] ||
                die "$given has no $file (Pagila $tag); $(pagila_fix)"
            cp "$given/$file" "$dir/$file.part"
            pagila_sum_is "$sum" "$dir/$file.part" || {
                rm -f "$dir/$file.part"
                die "$given/$file is not Pagila $tag's (its sha256 is not $sum); $(pagila_fix)"
            }
        elif pagila_sum_is "$sum" "$kept/$tag/$file"; then
            # Where earlier versions of these scripts kept downloads (.pg/pagila/pagila-v3.1.0/).
            mv "$kept/$tag/$file" "$dir/$file.part"
            rmdir "$kept/$tag" 2>/dev/null || true
        elif [[ $download == yes ]]; then
            echo "downloading Pagila $tag $file into $dir ..." >&2
            # Short timeouts and one retry: without network this should fail in seconds, not minutes.
            command -v curl >/dev/null || die "Pagila $tag's $file is not in $dir and curl is missing to download it; $(pagila_fix)"
            curl --fail --silent --show-error --location --retry 1 --connect-timeout 10 --max-time 300 \
                -o "$dir/$file.part" "$PAGILA_URL/$tag/$file" || {
                rm -f "$dir/$file.part"
                die "could not download Pagila $tag's $file from $PAGILA_URL/$tag/$file; $(pagila_fix)"
            }
            pagila_sum_is "$sum" "$dir/$file.part" || {
                rm -f "$dir/$file.part"
                die "the downloaded $file does not have the sha256 of Pagila $tag ($sum); $(pagila_fix)"
            }
        else
            return 1
        fi
        mv "$dir/$file.part" "$dir/$file"
    done
}

# pagila_sum_is SHA256 FILE: true when FILE exists and has that sha256.
pagila_sum_is() {
    [[ -f $2 ]] && echo "$1  $2" | sha256sum --check --status 2>/dev/null
}

# pagila_v2_given: the folder holding Pagila v2.1.0's files, if the caller named one: PAGILA_V2_DIR,
# else PAGILA_DIR/v2.1.0 when it exists. Prints nothing otherwise.
pagila_v2_given() {
    if [[ -n ${PAGILA_V2_DIR:-} ]]; then
        echo "$PAGILA_V2_DIR"
    elif [[ -n ${PAGILA_DIR:-} && -d $PAGILA_DIR/v2.1.0 ]]; then
        echo "$PAGILA_DIR/v2.1.0"
    fi
}

# pg_psql PORT PASSWORD DATABASE [psql args...]: psql as the superuser. The password travels in the
# environment, never on a command line where `ps` would show it.
pg_psql() {
    local port=$1 password=$2 database=$3
    shift 3
    PGPASSWORD=$password psql --no-psqlrc -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres \
        -d "$database" "$@"
}

# pg_recreate_db PORT PASSWORD DATABASE: drops DATABASE if it exists and creates it empty.
pg_recreate_db() {
    local port=$1 password=$2 database=$3
    pg_psql "$port" "$password" postgres --quiet \
        -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" -c "CREATE DATABASE \"$database\"" >/dev/null
}

# pg_ensure_db PORT PASSWORD DATABASE: creates DATABASE unless it exists.
pg_ensure_db() {
    local port=$1 password=$2 database=$3 exists
    exists=$(pg_psql "$port" "$password" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")
    [[ $exists == 1 ]] || pg_psql "$port" "$password" postgres --quiet -c "CREATE DATABASE \"$database\"" >/dev/null
}

# pagila_load PORT PASSWORD DATABASE DIR: loads Pagila's schema and data into the empty DATABASE.
pagila_load() {
    local port=$1 password=$2 database=$3 dir=$4
    pg_psql "$port" "$password" "$database" --quiet -f "$dir/pagila-schema.sql" >/dev/null
    pg_psql "$port" "$password" "$database" --quiet -f "$dir/pagila-data.sql" >/dev/null
}

# new_password: 32 hex characters from the kernel's random source.
new_password() {
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
}

# A Citus cluster (docs/citus.md): a coordinator and workers, each a cluster of its own as above,
# with Citus loaded. The nodes reach each other as the superuser with the clusters' one password,
# which Citus reads from pg_dist_authinfo (copied to the workers with the rest of its metadata).
CITUS_SERVER_OPTIONS="-c shared_preload_libraries=citus -c max_prepared_transactions=100"

# citus_start DATADIR PORT: starts a Citus node (pg_start with Citus loaded).
citus_start() {
    PG_SERVER_OPTIONS=$CITUS_SERVER_OPTIONS pg_start "$1" "$2"
}

# citus_db PASSWORD DATABASE COORDINATOR_PORT WORKER_PORT...: makes DATABASE a Citus database on the
# coordinator and every worker (created where missing, the extension created, the workers added).
# Safe to run again.
citus_db() {
    local password=$1 database=$2 coordinator=$3 port
    shift 3
    for port in "$coordinator" "$@"; do
        pg_ensure_db "$port" "$password" "$database"
        pg_psql "$port" "$password" "$database" --quiet -c "CREATE EXTENSION IF NOT EXISTS citus" >/dev/null
    done
    for port in "$coordinator" "$@"; do
        pg_psql "$port" "$password" "$database" --quiet >/dev/null <<SQL
DELETE FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = 'postgres';
INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, 'postgres', 'password=$password');
SQL
    done
    pg_psql "$coordinator" "$password" "$database" --quiet -c \
        "SELECT citus_set_coordinator_host('127.0.0.1', $coordinator)" >/dev/null
    for port in "$@"; do
        pg_psql "$coordinator" "$password" "$database" --quiet -c \
            "SELECT citus_add_node('127.0.0.1', $port) WHERE NOT EXISTS (SELECT FROM pg_dist_node WHERE nodeport = $port)" >/dev/null
    done
}
