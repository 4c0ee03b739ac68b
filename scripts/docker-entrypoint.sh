#!/bin/sh
# Container start (docker-compose.yml).
#   geo-app-entrypoint init   one-shot: make the roles and the database (GEO_APP_DB_SUPERUSER_URL),
#                             migrate and grant (GEO_APP_OWNER_DATABASE_URL), load the demo data
#                             once if GEO_APP_LOAD_DEMO=1; then exit
#   anything else             run it (the server) as the app role: GEO_APP_DATABASE_URL only; the
#                             server never migrates and never holds the owner's password
set -eu
if [ "${1:-}" = "init" ]; then
  for name in GEO_APP_DB_SUPERUSER_URL GEO_APP_OWNER_DATABASE_URL GEO_APP_DATABASE_URL; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
      echo "error: set $name" >&2
      exit 1
    fi
  done
  geo-app db provision
  GEO_APP_DB_SUPERUSER_URL= geo-app db upgrade
  if [ "${GEO_APP_LOAD_DEMO:-1}" = "1" ]; then
    GEO_APP_DB_SUPERUSER_URL= geo-app load-demo
  fi
  exit 0
fi
if [ -z "${GEO_APP_DATABASE_URL:-}" ]; then
  echo "error: set GEO_APP_DATABASE_URL (the app role's login; the container runs no PostgreSQL)" >&2
  exit 1
fi
if [ -n "${GEO_APP_OWNER_DATABASE_URL:-}${GEO_APP_DB_SUPERUSER_URL:-}" ]; then
  echo "warning: the server should not be given the owner's or superuser's login" >&2
fi
exec "$@"
