"""The live web dashboard and Prometheus metrics, read from the journal.

`view` folds journal events into what the page shows, `tail` reads a journal from a seq on,
`metrics` writes the Prometheus text; `server` serves the page, its live updates (`sse`), the
kill button and /metrics, guarded by `auth`; `page` renders the HTML from package data
(`static/`, with uPlot vendored).
"""
