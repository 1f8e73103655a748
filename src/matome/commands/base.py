"""The Click pieces the ``matome`` commands are made of: a command whose ``--help`` lists its
arguments (with their help) before its options, an argument that has a help text, and the
value names (metavars) every option shows in ``--help``.

Plain Click (8.1 on): no Typer, no pydantic, no Rich at start-up; a command's parameters are
converted by Click's own types (``click.IntRange``, ``click.Choice`` …).
"""

from __future__ import annotations

import inspect

import click

#: Value names shown in --help for values whose type alone says little, by parameter name.
METAVARS = {
    "db": "URL|PATH", "out": "FILE", "comments": "FILE", "jsonl": "FILE", "title": "TEXT", "token": "TOKEN",
    "host": "ADDRESS", "since": "YYYY-MM-DD", "until": "YYYY-MM-DD", "source": "NAME", "vectors": "tfidf|e5",
    "method": "auto|ward|kmeans", "mapping": "FIELD=COLUMN,…", "settings": "NAME=VALUE", "path": "PATH",
    "paths": "PATH", "query": "WORDS", "url": "URL", "llm_base_url": "URL", "llm_model": "NAME",
    "llm_max_cost": "USD", "llm_prices": "FILE", "llm_timeout": "SECONDS", "llm_cache": "DIR",
}


class Argument(click.Argument):
    """A positional argument with a help text (listed under "Arguments" in --help) and an
    optional value name: ``argument("query", metavar="WORDS", help=…)``."""

    def __init__(self, param_decls, required=None, help: str | None = None, metavar: str | None = None, **attrs):
        super().__init__(param_decls, required=required, **attrs)
        self.help = help
        self.value_name = metavar

    @property
    def human_readable_name(self) -> str:
        return self.value_name or METAVARS.get(self.name, self.name.upper())

    def make_metavar(self, ctx=None) -> str:  # Click 8.1 calls it without ctx, 8.2 on with
        var = self.human_readable_name
        if not self.required:
            var = f"[{var}]"
        if self.nargs != 1:
            var += "..."
        return var

    def get_error_hint(self, ctx) -> str:
        return f"'{self.human_readable_name}'"

    def help_record(self) -> tuple[str, str]:
        extra = []
        if isinstance(self.type, click.types._NumberRangeBase):
            extra.append(self.type._describe_range())
        if self.required:
            extra.append("required")
        text = self.help or ""
        if extra:
            text = f"{text}  [{'; '.join(extra)}]" if text else f"[{'; '.join(extra)}]"
        return self.human_readable_name + ("..." if self.nargs != 1 else ""), text


class IntRange(click.IntRange):
    """``click.IntRange`` that calls a value that is no number "not a valid integer"."""

    name = "integer"


def argument(name: str, **attrs):
    """``@argument("path", help=…)``: a :class:`Argument` on a command."""
    return click.argument(name, cls=Argument, **attrs)


def summary(command: click.Command) -> str:
    """A command's one-line description: the first paragraph of its help, on one line."""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return " ".join(text.split("\n\n", 1)[0].split())


class _NamesItsCommand:
    """A usage error the parser raises without a context ("Option '--out' requires an
    argument") gets the command's, so that the error line points to its --help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            if e.ctx is None:
                e.ctx = ctx
            raise


class Command(_NamesItsCommand, click.Command):
    """A sub-command: usage, help text, "Arguments" (each with its help), "Options"."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        arguments = [p.help_record() for p in self.get_params(ctx) if isinstance(p, Argument)]
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [p.get_help_record(ctx) for p in self.get_params(ctx) if isinstance(p, click.Option)]
        rows = [r for r in rows if r is not None]
        if rows:
            with formatter.section("Options"):
                formatter.write_dl(rows)


class Group(_NamesItsCommand, click.Group):
    """The ``matome`` group: its sub-commands are :class:`Command`; --help lists them in the
    order they were added, each with the first paragraph of its help on one line."""

    command_class = Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary(cmd)) for name, cmd in self.commands.items() if not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def tidy_help(command: click.Command) -> None:
    """Give every option a meaningful value name in --help: the choices for choices, a name
    such as FILE or URL for text (:data:`METAVARS`), N for numbers; none for flags."""
    for param in getattr(command, "params", ()):
        if not isinstance(param, click.Option) or param.metavar is not None or param.is_flag or param.count:
            continue
        if isinstance(param.type, click.Choice):
            param.metavar = "|".join(str(c) for c in param.type.choices)
        elif param.name in METAVARS:
            param.metavar = METAVARS[param.name]
        elif isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
            param.metavar = "N"
        else:
            param.metavar = "TEXT"
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)
