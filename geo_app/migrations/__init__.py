"""Alembic migrations of the geo_app schema (see env.py)."""
