"""The ``matome`` command. Each sub-command lives in ``matome/commands/<name>.py``.

Built on plain Click: a command's start-up imports Click and the one sub-command it runs
(no Typer, no pydantic, and Rich only where a command renders or shows progress).
"""

from __future__ import annotations

import errno
import importlib
import sys

import click
from click.exceptions import Abort, ClickException, Exit

from matome.commands.base import Group, tidy_help

HELP = "Digest Japanese news articles and their reader comments (要約, opinions, ▲/▼ votes)."

app = Group(
    name="matome",
    help=HELP,
    no_args_is_help=True,
    context_settings={"show_default": True},
)

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
    tidy_help(app)


_register(sys.argv)


def command() -> click.Group:
    """The Click group behind ``matome``, with tidied value names in its help."""
    tidy_help(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Usage errors (unknown option, bad value, missing argument) print ONE
    line on standard error and exit with 2, like every other bad input; Ctrl+C exits
    with 130."""
    from matome.commands.common import EXIT_BAD_INPUT, err_console

    args = sys.argv[1:] if argv is None else [str(a) for a in argv]
    group = command()
    try:
        if not args:  # no_args_is_help: the help, and the exit code of a usage error
            click.echo(group.get_help(click.Context(group, info_name="matome")))
            code = EXIT_BAD_INPUT
        else:
            with group.make_context("matome", args) as ctx:
                group.invoke(ctx)
            code = 0
    except Exit as e:  # --help, or a command's own exit code
        code = e.exit_code
    except ClickException as e:
        where = e.ctx.command_path if getattr(e, "ctx", None) is not None else "matome"
        message = " ".join(e.format_message().split())
        hint = f" (see '{where} --help')" if e.exit_code == EXIT_BAD_INPUT else ""
        err_console.print(f"matome: error: {message}{hint}")
        code = e.exit_code
    except ImportError as e:  # a missing optional part: one line, not a traceback
        err_console.print(f"matome: error: a package matome needs cannot be imported: {e} "
                          "(reinstall matome: pip install matome)")
        code = EXIT_BAD_INPUT
    except Abort:
        err_console.print("matome: aborted")
        code = 1
    except KeyboardInterrupt:
        err_console.print("matome: interrupted")
        code = 130
    except OSError as e:  # a broken pipe (`matome show … | head`): stop quietly
        if e.errno != errno.EPIPE:
            raise
        _quiet_stdout()
        code = 1
    except Exception as e:  # an archive that cannot be read: one line (the store is loaded by then)
        store = sys.modules.get("matome.store.store")
        if store is None or not isinstance(e, store.StoreError):
            raise
        err_console.print(f"matome: error: {' '.join(str(e).split())}")
        code = EXIT_BAD_INPUT
    sys.exit(code if isinstance(code, int) else 0)


def _quiet_stdout() -> None:
    """After a broken pipe: send what is still buffered for standard output nowhere, so that
    the interpreter's final flush does not print a second error."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    main()
