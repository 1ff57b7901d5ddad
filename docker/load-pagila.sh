#!/usr/bin/env bash
# Runs once, on the source container's first start (docker-entrypoint-initdb.d), against the
# database named by POSTGRES_DB: loads Pagila's schema, then its data.
set -euo pipefail
for file in pagila-schema.sql pagila-data.sql; do
    psql -v ON_ERROR_STOP=1 --quiet --username postgres --dbname "$POSTGRES_DB" -f "/pagila/$file" >/dev/null
done
