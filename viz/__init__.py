"""aimarket's browser front end: a Solara app with a live simulation page and a sweep-results
page (``aimarket app``; see docs/app.md). Uses only the public surface of :mod:`abm` and the
result store of :mod:`experiments`."""
