"""The ``matome`` command. Each sub-command lives in ``matome/commands/<name>.py``."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="matome",
    help="Digest Japanese news articles and their reader comments (要約, opinions, ▲/▼ votes).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Modules under matome.commands; each has ``register(app)``.
COMMANDS = (
    "show",
    "convert",
    "fetch",
    "summarize",
)


def _register() -> None:
    for name in COMMANDS:
        importlib.import_module(f"matome.commands.{name}").register(app)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
