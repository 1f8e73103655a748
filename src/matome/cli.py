"""The ``matome`` command. Each sub-command lives in ``matome/commands/<name>.py``."""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="matome",
    help="Digest Japanese news articles and their reader comments (要約, opinions, ▲/▼ votes).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

@app.callback()
def _root() -> None:
    """Digest Japanese news articles and their reader comments (要約, opinions, ▲/▼ votes)."""


#: Modules under matome.commands; each has ``register(app)``.
COMMANDS = (
    "show",
    "convert",
    "digest",
    "fetch",
    "summarize",
    "serve",
    "report",
    "ingest",
    "redigest",
    "batch",
    "search",
    "export",
)


def _register(argv: list[str]) -> None:
    """Import the sub-command modules. When the command line names one sub-command, only
    that module is imported, so that a quick command does not pay for the web server's or
    the database's imports; ``--help`` and unknown words import them all."""
    wanted = [name for name in COMMANDS if argv[1:2] == [name]]
    for name in wanted or COMMANDS:
        importlib.import_module(f"matome.commands.{name}").register(app)


_register(sys.argv)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
