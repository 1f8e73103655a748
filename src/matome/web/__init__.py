"""The web UI and JSON API (FastAPI + Jinja2) and the one-file HTML report."""

from matome.web.app import create_app
from matome.web.render import render_report

__all__ = ["create_app", "render_report"]
