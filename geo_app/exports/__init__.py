"""Exports: a layer's features, or a report's table, written to a file in a GIS or office format.

`xlsx.py` writes any table as XLSX (Vietnamese header row, frozen, typed cells), streamed so a
national table never sits whole in memory; layer exports and the reports both use it.
"""
