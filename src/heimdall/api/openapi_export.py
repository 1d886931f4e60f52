"""The OpenAPI document of ``create_app``, written without starting a server.

``python -m heimdall.api.openapi_export > frontend/openapi.json`` (or ``--out frontend/openapi.json``)
is the source of the web app's generated API types (``frontend/src/api/generated/openapi.ts``, made
by ``npm run gen:api``). The text is deterministic for a given code base: keys keep FastAPI's order,
two-space indentation, a trailing newline; a drift test compares it with the committed file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from heimdall.api.app import create_app
from heimdall.settings import Settings


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The app's OpenAPI document, from an app with no platform and no web app mounted."""
    # No data dir is touched: without a platform the app opens nothing.
    app = create_app(settings or Settings(), static_dir=None)
    return app.openapi()


def openapi_text(settings: Settings | None = None) -> str:
    return json.dumps(openapi_document(settings), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m heimdall.api.openapi_export", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    text = openapi_text()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
