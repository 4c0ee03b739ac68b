"""Plain functions over a database session, a package per capability (docs/ARCHITECTURE.md)."""
