"""Reports and exports: each module renders stored snapshot data one way and decides nothing.

markdown (report.md, `ingest diff`), html (the diff pages and the index), listing (`ingest review`),
spreadsheet (CSV), calendar (iCalendar), feed (Atom); values, links, word_diff and freshness are
the pieces they share.
"""
