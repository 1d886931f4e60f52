"""The ``heimdall`` command. Each verb lives in its own module and is imported only when used,
so ``heimdall locate`` never pays for torch or the web server."""

from __future__ import annotations

import importlib
import sys
from typing import cast

import click

from heimdall import __version__
from heimdall.errors import HeimdallError, InvalidInput, NotFound

# verb -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "serve": "heimdall.cli.serve:serve",
    "worker": "heimdall.cli.worker:worker",
    "doctor": "heimdall.cli.doctor:doctor",
    "locate": "heimdall.cli.locate:locate",
    "capture": "heimdall.cli.capture:capture",
    "bench": "heimdall.cli.bench:bench",
    "dataset": "heimdall.cli.dataset:dataset",
    "train": "heimdall.cli.train:train",
    "models": "heimdall.cli.models:models",
    "cot": "heimdall.cli.cot:cot",
    "monitor": "heimdall.cli.monitor:monitor",
    "users": "heimdall.cli.users:users",
    "tokens": "heimdall.cli.users:tokens",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("heimdall"):
                return _unavailable(name, "not built yet")
            return _unavailable(name, f"needs the optional package '{exc.name}' (pip install 'heimdall[train,scale]')")
        return cast(click.Command, getattr(module, attribute))


def _unavailable(name: str, reason: str) -> click.Command:
    @click.command(name=name, help=f"(unavailable: {reason})", context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        raise click.UsageError(f"'heimdall {name}' is unavailable: {reason}")

    return command


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="heimdall")
def heimdall() -> None:
    """Locate radio transmitters from what a network of receivers measures."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: bad input exits 2 with one line on stderr, never a stack trace."""
    try:
        heimdall.main(args=argv, prog_name="heimdall", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"heimdall: {exc.format_message()}", err=True)
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except (InvalidInput, NotFound) as exc:
        click.echo(f"heimdall: {exc.message}", err=True)
        sys.exit(2)
    except HeimdallError as exc:
        click.echo(f"heimdall: {exc.message}", err=True)
        sys.exit(1)
