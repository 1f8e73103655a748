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

#: The sub-commands, each in ``matome/commands/<name>.py`` with ``register(app)``, and the
#: line ``matome --help`` shows for each: the first paragraph of its help (a test keeps the
#: two equal), so that ``matome --help`` imports none of them.
SUMMARIES = {
    "show": "Show each entry: title, source, date, counts, and the most ▲ and most ▼ comments.",
    "convert": "Convert entries losslessly: archive → JSONL (one entry per line) and JSONL → archive.",
    "digest": "Digest each entry: article summary (要約), opinion groups, ▲/▼ analysis, この議論では… and [まとめ].",
    "fetch": "Fetch an article page safely and write it as an archive entry (title, source, date, body).",
    "summarize": "Print the article summary (要約): extractive, every sentence taken from the article.",
    "serve": "Serve the archive in the browser: articles, digests, opinion map, search, JSON API.",
    "report": "Write an article's digest page as one HTML file that opens offline (CSS and JS inlined).",
    "ingest": "Add articles to the archive, merging re-fetched ones (new comments, vote snapshots).",
    "redigest": "Bring stored digests up to date with the current engine and settings (--all --llm: let a "
                "language model reword every digest).",
    "batch": "Digest every article without a current digest, in parallel (resumable: run it again after an "
             "interruption and it finishes what is missing).",
    "search": "Search titles, summaries, bodies and comments: one result per article (titles first, then "
              "summaries, bodies, comments; newer articles first, articles found by comments by their most ▲), "
              "with the total (counted up to 1,000).",
    "export": "Export every article (or --article ones) with our digests.",
}

COMMANDS = tuple(SUMMARIES)


class _Matome(Group):
    """``matome``: a sub-command's module is imported when the command line names it; the
    command list in --help comes from :data:`SUMMARIES`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            _load(name)
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(SUMMARIES.items()))


app = _Matome(
    name="matome",
    help=HELP,
    no_args_is_help=True,
    context_settings={"show_default": True},
)


def _load(name: str) -> None:
    """Import one sub-command's module and add the command to ``app``."""
    importlib.import_module(f"matome.commands.{name}").register(app)
    tidy_help(app.commands[name])


def _register(argv: list[str]) -> None:
    """Import the sub-command the command line names, if any, at once (``matome show`` pays
    for its own imports, not the web server's or the database's); ``--help`` and unknown
    words import none."""
    for name in COMMANDS:
        if argv[1:2] == [name]:
            _load(name)


_register(sys.argv)


def command() -> click.Group:
    """The Click group behind ``matome`` with every sub-command loaded (for tests and tools)."""
    for name in COMMANDS:
        app.get_command(None, name)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Usage errors (unknown option, bad value, missing argument) print ONE
    line on standard error and exit with 2, like every other bad input; Ctrl+C exits
    with 130."""
    from matome.commands.common import EXIT_BAD_INPUT, err_console

    args = sys.argv[1:] if argv is None else [str(a) for a in argv]
    group = app
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
