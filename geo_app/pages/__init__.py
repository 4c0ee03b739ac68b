"""What each map page shows, assembled without Flask: one module per page (``national``,
``province``, ``commune``, ``campaign``), each a plain function over a SQLAlchemy session that
returns a frozen dataclass with everything the page shows, and ``urls`` for every page URL.

The web views parse the request, call a page function and draw/render its result
(``geo_app.maps.page_maps`` draws the map); a printed briefing can call the same functions and
show exactly what the page shows.

Translation: the page's own texts (notes, titles, crumbs, error messages) are English msgids
translated by the ``gettext`` the caller passes in ``Viewer`` (the web passes Flask-Babel's,
which follows the request's ``?lang``); the calls stay ``_("…")`` so ``make i18n`` finds them.
Data labels that travel with the data (layer titles, vocabularies) keep their (vi, en) pairs and
are picked by ``Viewer.lang``. No module here imports Flask.
"""
