#!/bin/sh
# Container start: refuse to run without a database URL, migrate, load demo data once, serve.
set -eu
if [ -z "${GEO_APP_DATABASE_URL:-}" ]; then
  echo "error: set GEO_APP_DATABASE_URL (the container does not run its own PostgreSQL)" >&2
  exit 1
fi
geo-app db upgrade
if [ "${GEO_APP_LOAD_DEMO:-1}" = "1" ]; then
  geo-app load-demo
fi
exec "$@"
