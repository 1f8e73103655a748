"""The ``matome`` command. Each sub-command lives in ``matome/commands/<name>.py``."""

from __future__ import annotations

import importlib
import sys

import typer
import typer.main

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


#: Metavars (value names) shown in --help for values whose type alone says little ("<str>").
_METAVARS = {
    "db": "URL|PATH", "out": "FILE", "comments": "FILE", "jsonl": "FILE", "title": "TEXT", "token": "TOKEN",
    "host": "ADDRESS", "since": "YYYY-MM-DD", "until": "YYYY-MM-DD", "source": "NAME", "vectors": "tfidf|e5",
    "method": "auto|ward|kmeans", "mapping": "FIELD=COLUMN,…", "settings": "NAME=VALUE", "path": "PATH",
    "paths": "PATH", "query": "WORDS", "url": "URL",
}


def _tidy_help(command) -> None:
    """Give every parameter a meaningful metavar (value name) in --help: none for flags, the choices
    for choices, N for numbers, a name such as FILE or URL for text."""
    params = list(getattr(command, "params", ()))
    help_option = command.get_help_option(typer.Context(command))
    if help_option is not None:
        params.append(help_option)
    for param in params:
        if param.param_type_name == "argument":
            # the argument's name column shows the value name already: no "<str>" beside it
            param.display_type_rich = lambda ctx: None
        if param.metavar is not None:
            continue
        desc = param.type_descriptor
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif desc.is_choice:
            param.metavar = "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
        elif param.bare_type() in ("int", "list[int]"):
            param.metavar = "N"
        else:
            param.metavar = _METAVARS.get(param.name, "TEXT")
    for sub in getattr(command, "commands", {}).values():
        _tidy_help(sub)


def command():
    """The Click command behind ``app``, with tidied metavars in its help."""
    group = typer.main.get_command(app)
    _tidy_help(group)
    return group


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Usage errors (unknown option, bad value, missing argument) print ONE
    line on standard error and exit with 2, like every other bad input."""
    try:  # Typer >= 0.20 carries its own copy of Click
        from typer._click.exceptions import ClickException, NoArgsIsHelpError
    except ImportError:  # pragma: no cover - older Typer on top of Click
        from click.exceptions import ClickException, NoArgsIsHelpError

    from matome.commands.common import EXIT_BAD_INPUT, err_console

    try:
        code = command().main(args=argv, prog_name="matome", standalone_mode=False)
    except NoArgsIsHelpError as e:
        e.show()
        code = EXIT_BAD_INPUT
    except ClickException as e:
        where = e.ctx.command_path if getattr(e, "ctx", None) is not None else "matome"
        message = " ".join(e.format_message().split())
        hint = f" (see '{where} --help')" if e.exit_code == EXIT_BAD_INPUT else ""
        err_console.print(f"matome: error: {message}{hint}", markup=False)
        code = e.exit_code
    except ImportError as e:  # a missing optional part: one line, not a traceback
        err_console.print(f"matome: error: a package matome needs cannot be imported: {e} "
                          "(reinstall matome: pip install matome)", markup=False)
        code = EXIT_BAD_INPUT
    except typer.Abort:
        err_console.print("matome: aborted", markup=False)
        code = 1
    except KeyboardInterrupt:
        err_console.print("matome: interrupted", markup=False)
        code = 130
    except Exception as e:  # an archive that cannot be read: one line (the store is loaded by then)
        store = sys.modules.get("matome.store.store")
        if store is None or not isinstance(e, store.StoreError):
            raise
        err_console.print(f"matome: error: {' '.join(str(e).split())}", markup=False)
        code = EXIT_BAD_INPUT
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
