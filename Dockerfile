# geo_app application image. The database is a separate PostGIS service (docker-compose.yml), so
# no embedded cluster is started. Two uses of the one image (scripts/docker-entrypoint.sh):
# `init` makes the roles, migrates as the owner and loads the demo data, then exits; the default
# command serves as the app role (GEO_APP_DATABASE_URL only). /app/var holds the secret key, the
# audit key and the audit checkpoints: mount a volume there.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GEO_APP_DATA_DIR=/app/data \
    GEO_APP_STATE_DIR=/app/var \
    GEO_APP_BASEMAP=none

WORKDIR /app

# Dependencies first (cached layer), pinned by the same constraints as `make setup`.
COPY pyproject.toml constraints.txt README.md ./
COPY geo_app ./geo_app
RUN pip install -c constraints.txt . \
    && useradd --system --create-home --home-dir /home/geo_app geo_app \
    && mkdir -p /app/var && chown geo_app /app/var

COPY alembic.ini ./
COPY data ./data
COPY scripts/docker-entrypoint.sh /usr/local/bin/geo-app-entrypoint

USER geo_app
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/healthz').status != 200)"
ENTRYPOINT ["geo-app-entrypoint"]
CMD ["geo-app", "serve", "--host", "0.0.0.0", "--port", "5000"]
