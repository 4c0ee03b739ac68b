"""Demo data for the seed areas, always flagged ``is_demo``.

``campaigns.json`` transcribes the four seed plans; ``synth`` makes synthetic hamlets, features
and monthly counts as pure functions; ``load`` writes them into a database that already holds
the seed areas' boundaries. Nothing here describes a person: places and counts only.
"""
