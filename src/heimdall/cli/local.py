"""What the data commands share: the ``--data-dir`` / ``--settings`` options and the local platform.

A command that reads or writes data (``heimdall dataset``, ``models``, ``train``, ``bench``) works on
the platform ``heimdall.platform.build_platform`` builds from these settings, with jobs run inline
(here and now, with a progress bar), so a ``heimdall serve`` on the same data directory sees every
change.
"""

from __future__ import annotations

from pathlib import Path

import click

from heimdall.platform.root import Platform, build_platform
from heimdall.settings import load_settings

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Data directory (default: HEIMDALL_DATA_DIR or ./heimdall-data).")
settings_option = click.option(
    "--settings", "settings_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help="Heimdall settings file (YAML), below flags, above the environment.")


def local_platform(data_dir: Path | None, settings_file: Path | None) -> Platform:
    """The platform of these settings with inline jobs; use it as a context manager (closes it)."""
    return build_platform(load_settings(settings_file, data_dir=data_dir), inline_jobs=True)
