"""`python -m ceox_sandbox`: serve a sandbox until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import sys
import threading

from ceox_sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ceox_sandbox",
                                     description="A local server that behaves like the CEOX WhatsApp API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--db", default=":memory:", help="SQLite file, or :memory: (default)")
    parser.add_argument("--seed", choices=("demo", "large", "empty"), default="demo",
                        help="demo workspace, the demo at scale (20,000 conversations), or nothing"
                             " (only when the database is new)")
    parser.add_argument("--api-key", default=os.environ.get("CEOX_SANDBOX_API_KEY"),
                        help="accept this key (ceox_...; or set CEOX_SANDBOX_API_KEY, kept out of process"
                             " listings); default: one kept in the database")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay every /api/v1 request")
    parser.add_argument("--workspaces", type=int, default=1, metavar="N",
                        help="host N independent workspaces behind the one address (default 1); the first gets"
                             " the --seed, the others a small seed, each its own key; files beside --db")
    parser.add_argument("--page-size", type=int, metavar="N",
                        help="answer every list in pages of N, {items, total, next}, the next page asked for"
                             " with ?cursor=<next> (default: whole lists)")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="stop when standard input closes: a parent that started this server through a"
                             " pipe stops it by exiting, however it exits")
    args = parser.parse_args(argv)
    try:
        server = SandboxServer(db=args.db, seed=args.seed, api_key=args.api_key, latency_ms=args.latency_ms,
                               host=args.host, port=args.port, workspaces=args.workspaces,
                               page_size=args.page_size)
    except (OSError, ValueError) as exc:
        print(f"ceox_sandbox: {exc}", file=sys.stderr)
        return 2
    if server.reachable_from_other_machines:
        print(f"ceox_sandbox: warning: listening on {args.host}, reachable from other machines. This is a test"
              " server: its demo sign-ins share a published password, its webhooks post to any address a key"
              " holder gives, and it runs without TLS. Use --host 127.0.0.1 unless that is what you want.",
              file=sys.stderr, flush=True)
    print(f"CEOX sandbox at {server.api_url}", flush=True)
    print(f"API key: {server.api_key}", flush=True)
    for number, key in enumerate(server.api_keys[1:], 2):
        print(f"API key of workspace {number}: {key} (sign-ins {server.sign_in_email(number - 1)}, ...)",
              flush=True)
    print("Send it as `Authorization: <key>`; Ctrl-C stops the server.", flush=True)
    if args.exit_with_stdin:
        threading.Thread(target=_stop_at_end_of_input, args=(server,), daemon=True).start()
    server.serve_forever()
    return 0


def _stop_at_end_of_input(server: SandboxServer) -> None:
    while sys.stdin.buffer.read(4096):
        pass
    server.request_exit()


if __name__ == "__main__":
    sys.exit(main())
