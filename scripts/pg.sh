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
# /usr/lib/postgresql/*/bin. Prints nothing and fails when there is none.
pg_find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN has no pg_ctl"
        echo "$PG_BIN"
        return
    fi
    local found
    if found=$(command -v pg_ctl 2>/dev/null) && [[ -x "$(dirname "$found")/initdb" ]]; then
        dirname "$(readlink -f "$found")"
        return
    fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
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

# pg_start DATADIR PORT: starts the cluster unless it already runs.
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
        -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=${PG_FSYNC:-on}" \
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

# Pagila releases this project knows, as "tag schema-sha256 data-sha256". v3.1.0 is the one `make run`
# loads (rentals in 2022); v2.1.0 (rentals in 2005, plus 182 never returned dated 2020) is tested too.
PAGILA_V3="pagila-v3.1.0 8ce358e4c8014087b85296694a0893887bd7a4190e3ce407f2721b86b98e5707 fb81bec377687c83e11d2a24916ae28656d85550bf0ada798305bf7e2af9823b"
PAGILA_V2="v2.1.0 a0671c55e3dbdd867d60901d0db1add1b2056070eca535ec793a5c0a5ea776fa 583749d14243ded70db2f48b7cd830855ebe9292e803164255eaede983e2fe43"

# pagila_files CACHE_DIR [RELEASE] [GIVEN_DIR]: prints the folder holding pagila-schema.sql and
# pagila-data.sql of RELEASE (default $PAGILA_V3). GIVEN_DIR (default $PAGILA_DIR) is used as is
# when set; otherwise the files are downloaded from GitHub into CACHE_DIR once and their sha256
# checked, so a changed or truncated download never loads.
pagila_files() {
    local cache=$1 release=${2:-$PAGILA_V3} given=${3-${PAGILA_DIR:-}}
    local tag schema_sum data_sum
    read -r tag schema_sum data_sum <<<"$release"
    if [[ -n "$given" ]]; then
        [[ -f "$given/pagila-schema.sql" && -f "$given/pagila-data.sql" ]] ||
            die "$given must hold pagila-schema.sql and pagila-data.sql (Pagila $tag; set PAGILA_DIR to such a folder)"
        (cd "$given" && pwd)
        return
    fi
    cache=$cache/$tag
    mkdir -p "$cache"
    local file sum
    for file in pagila-schema.sql pagila-data.sql; do
        [[ $file == pagila-schema.sql ]] && sum=$schema_sum || sum=$data_sum
        if ! echo "$sum  $cache/$file" | sha256sum --check --status 2>/dev/null; then
            echo "downloading Pagila $tag $file ..." >&2
            curl --fail --silent --show-error --location --retry 2 --connect-timeout 20 \
                -o "$cache/$file.part" "https://raw.githubusercontent.com/devrimgunduz/pagila/$tag/$file" ||
                die "could not download Pagila's $file ($tag); fetch it by hand and set PAGILA_DIR to its folder"
            echo "$sum  $cache/$file.part" | sha256sum --check --status ||
                die "the downloaded $file does not have the sha256 of Pagila $tag ($sum)"
            mv "$cache/$file.part" "$cache/$file"
        fi
    done
    echo "$cache"
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
