"""Field capture: the writes officers' phones make (features, box openings, board checks), each
idempotent by the phone's UUID, with its receipt and audit row; and what the field page reads
(nearby features, the day's writes).

Here rather than in ``geo_app.features`` because a write needs the audit trail and the scope
rule (``services.audit``, ``services.accounts.scope``), and ``features`` is read by services;
the Feature a write answers is read through ``geo_app.features`` like every other.
"""
