#!/usr/bin/env bash
# Builds and installs the Citus extension into the machine's PostgreSQL when it is missing, once per
# machine, and says how long it took. Used by `make citus`, scripts/test.sh (ROLLUP_CITUS tests) and
# .ci/run.
#
# Why from source: Citus is not in Debian's archive. Its release v13.2.2 (the last one supporting
# PostgreSQL 15) sits in ../shared/citus next to this repository (CITUS_DIR overrides), with a
# SHA256SUMS that is checked before anything is unpacked.
#
# Run it BEFORE any PostgreSQL server starts: installing postgresql-server-dev-N may upgrade the
# server package, and a server started before the upgrade then fails to load contrib modules
# (postgres_fdw) from disk (../shared/citus/README.md).
#
# usage: scripts/citus.sh [ensure|check]
#   ensure (default)  build and install when citus.so is missing; no-op otherwise
#   check             exit 0 when citus.so is installed, 1 otherwise; builds nothing
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CITUS_DIR=${CITUS_DIR:-$(cd "$ROOT/.." && pwd)/shared/citus}
CITUS_TARBALL=citus-13.2.2.tar.gz

die() {
    echo "error: $*" >&2
    exit 1
}

pg_config_bin() {
    if [[ -n ${PG_CONFIG:-} ]]; then
        echo "$PG_CONFIG"
    elif [[ -n ${PG_BIN:-} && -x $PG_BIN/pg_config ]]; then
        echo "$PG_BIN/pg_config"
    else
        # The server's own pg_config (from postgresql-server-dev-N) knows PKGLIBDIR; the one
        # on PATH may be the client's wrapper. Newest major wins, as in scripts/pg.sh.
        local found
        found=$(printf '%s\n' /usr/lib/postgresql/*/bin/pg_config | sort -V | tail -n 1)
        [[ -x $found ]] && echo "$found"
    fi
}

# The major version of the newest installed server, e.g. 15 (for the dev package's name).
pg_major() {
    local bin
    bin=$(printf '%s\n' /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)
    [[ -x $bin ]] || die "no PostgreSQL server under /usr/lib/postgresql/*/bin; install it first (apt-get install postgresql)"
    basename "$(dirname "$(dirname "$bin")")"
}

# Where the server loads extensions from: pg_config's PKGLIBDIR, or without the dev package (Citus
# installed from packages) the lib folder beside the newest server's bin.
libdir() {
    local pgc
    if pgc=$(pg_config_bin) && [[ -x $pgc ]]; then
        "$pgc" --pkglibdir
    else
        echo "/usr/lib/postgresql/$(pg_major)/lib"
    fi
}

installed() {
    [[ -f $(libdir)/citus.so ]]
}

# Debian packages the build needs (../shared/citus/README.md); installs those missing. Without
# libkrb5-dev the build stops at gssapi/gssapi.h.
ensure_deps() {
    local major missing=() pkg
    major=$(pg_major)
    for pkg in "postgresql-server-dev-$major" libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev \
        libselinux1-dev libxslt1-dev libpam0g-dev libssl-dev libreadline-dev make gcc; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    [[ $(id -u) -eq 0 ]] || die "Citus needs these Debian packages to build: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run again"
    echo "installing Citus build dependencies: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() {
    local started work pgc src
    started=$(date +%s)
    [[ -f $CITUS_DIR/$CITUS_TARBALL ]] ||
        die "no $CITUS_DIR/$CITUS_TARBALL: Citus is built from that source (set CITUS_DIR to the folder holding it and its SHA256SUMS)"
    (cd "$CITUS_DIR" && sha256sum --check --quiet SHA256SUMS) ||
        die "$CITUS_DIR/$CITUS_TARBALL does not match $CITUS_DIR/SHA256SUMS"
    ensure_deps
    pgc=$(pg_config_bin) || die "no pg_config: install postgresql-server-dev-$(pg_major)"
    work=$(mktemp -d "${TMPDIR:-/tmp}/citus-build.XXXXXX")
    # Kept on failure so the log can be read; removed on success.
    echo "building Citus from $CITUS_DIR/$CITUS_TARBALL in $work (about 5 minutes on 2 cores) ..." >&2
    tar -xzf "$CITUS_DIR/$CITUS_TARBALL" -C "$work"
    # `git archive` of the tag: the tree sits at the top of the archive.
    src=$work
    [[ -f $src/configure ]] || die "$CITUS_DIR/$CITUS_TARBALL has no configure at its top; not the expected Citus source"
    # The one compatibility fix (../shared/citus/README.md): Debian's PostgreSQL 15 headers already
    # declare have_createdb_privilege() extern, so Citus's static inline copy for PG < 16 clashes
    # with it. Deleting the copy makes Citus call the server's function.
    perl -0pi -e 's/static inline bool\s*\nhave_createdb_privilege\(void\)\s*\{.*?\n\}\n//s' \
        "$src/src/include/pg_version_compat.h"
    if grep -q 'have_createdb_privilege(void)' "$src/src/include/pg_version_compat.h"; then
        die "could not remove have_createdb_privilege from $src/src/include/pg_version_compat.h; the Citus source is not the expected v13.2.2"
    fi
    local log=$work/build.log
    (
        cd "$src"
        ./configure PG_CONFIG="$pgc" >"$log" 2>&1
        nice -n 10 make -j"$(nproc)" >>"$log" 2>&1
        # shellcheck disable=SC2024 # the log is ours; only the install needs root
        if [[ $(id -u) -eq 0 ]]; then make install >>"$log" 2>&1; else sudo make install >>"$log" 2>&1; fi
    ) || {
        tail -n 30 "$log" >&2
        die "building Citus failed (full log: $log)"
    }
    rm -rf "$work"
    echo "Citus 13.2.2 built and installed into $("$pgc" --pkglibdir) in $(($(date +%s) - started)) s" >&2
}

case ${1:-ensure} in
ensure)
    if installed; then
        echo "Citus is installed ($(libdir)/citus.so)" >&2
    else
        build
    fi
    ;;
check) installed ;;
*) die "usage: scripts/citus.sh [ensure|check]" ;;
esac
