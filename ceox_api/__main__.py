"""`python -m ceox_api doctor --base-url URL --api-key KEY` (or `--token TOKEN`): check a connection.

Prints the connection doctor's report (ceox_api.doctor) as Markdown, or JSON with `--json`; `--output
FILE` writes it to a file instead. The key may also come from `CEOX_API_KEY`, which keeps it out of the
shell history and the process list. Exit status: 0 when everything the client reads is there, 1 when
the report has findings, 2 for a command that cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from ceox_api._base import API_KEY_ENV
from ceox_api.client import Client
from ceox_api.doctor import diagnose


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ceox_api", description="Tools for the CEOX API client.")
    commands = parser.add_subparsers(dest="command", required=True)
    doctor = commands.add_parser("doctor", help="check, read-only, what the service answers to every list",
                                 description="A read-only check of every GET endpoint the credential may use. "
                                             "The report holds no names, phone numbers, messages or secrets.")
    doctor.add_argument("--base-url", required=True, help="the API's address, ending in /api/v1")
    who = doctor.add_mutually_exclusive_group()
    who.add_argument("--api-key", help=f"an API key (default: ${API_KEY_ENV})")
    who.add_argument("--token", help="a user's token")
    doctor.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    doctor.add_argument("--output", type=Path, help="write the report to this file")
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    address = urlsplit(args.base_url.strip())
    if address.scheme not in ("http", "https") or not address.hostname:
        return _fail("the base URL must start with https:// (or http:// for a local server)")
    if address.username or address.password or address.query or address.fragment:
        return _fail("the base URL must be a plain address, without a user name, password, ? or #")
    api_key = args.api_key or (None if args.token else os.environ.get(API_KEY_ENV))
    if not api_key and not args.token:
        return _fail(f"give --api-key or --token (or set {API_KEY_ENV})")
    try:
        open_client = partial(Client, args.base_url.strip(), api_key=api_key, token=args.token, use_env=False)
        diagnosis = diagnose(open_client)
    except ValueError as exc:  # a credential with spaces or control characters: the text names no secret
        return _fail(str(exc))
    text = json.dumps(diagnosis.to_dict(), indent=2, ensure_ascii=False) if args.json else diagnosis.to_markdown()
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            return _fail(f"could not write {args.output}: {exc.strerror}")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0 if diagnosis.healthy else 1


if __name__ == "__main__":
    sys.exit(main())
