"""The marketer's report: one self-contained HTML file per run (inline CSS and SVG, no script,
nothing fetched), read from the published marts and the export manifests. No contact points:
only counts and shares, so the file can be mailed around the team.

queries.py reads the marts (rows by name), charts.py lays out the SVG charts, page.py builds
the panels and renders templates/ with autoescaping; labels.yaml holds the words (ko, en).
"""

from activation.report.page import render_report, write_marketing_report

__all__ = ["render_report", "write_marketing_report"]
