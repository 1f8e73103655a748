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


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Usage errors (unknown option, bad value, missing argument) print ONE
    line on standard error and exit with 2, like every other bad input."""
    try:  # Typer >= 0.20 carries its own copy of Click
        from typer._click.exceptions import ClickException, NoArgsIsHelpError
    except ImportError:  # pragma: no cover - older Typer on top of Click
        from click.exceptions import ClickException, NoArgsIsHelpError

    from matome.commands.common import EXIT_BAD_INPUT, err_console

    try:
        code = app(args=argv, prog_name="matome", standalone_mode=False)
    except NoArgsIsHelpError as e:
        e.show()
        code = EXIT_BAD_INPUT
    except ClickException as e:
        where = e.ctx.command_path if getattr(e, "ctx", None) is not None else "matome"
        message = " ".join(e.format_message().split())
        hint = f" (see '{where} --help')" if e.exit_code == EXIT_BAD_INPUT else ""
        err_console.print(f"matome: error: {message}{hint}", markup=False)
        code = e.exit_code
    except typer.Abort:
        err_console.print("matome: aborted", markup=False)
        code = 1
    except KeyboardInterrupt:
        err_console.print("matome: interrupted", markup=False)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
