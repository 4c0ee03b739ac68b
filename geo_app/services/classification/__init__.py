"""Classifying communes from the database or a spreadsheet, their derived inputs, and the
statutory table."""
