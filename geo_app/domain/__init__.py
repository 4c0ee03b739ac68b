"""The domain engine: pure rule logic over plain inputs (no database, no Flask).

Rule sets are data (``geo_app/rules/*.json``); these modules evaluate them. See docs/ENGINE.md.
"""
