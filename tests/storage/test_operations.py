"""Operations: the health route over real HTTP (a real sandbox, a real database, closed ports), and JSON logs
that carry no secrets."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from dashboard import health, logs
from dashboard.storage import database


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve():
    """serve(base_url) → the health route on a real server on a free loopback port."""
    servers = []

    def start(base_url: str | None) -> str:
        port = _closed_port()
        server = uvicorn.Server(uvicorn.Config(Starlette(routes=health.routes(lambda: base_url)), host="127.0.0.1",
                                               port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return f"http://127.0.0.1:{port}{health.PATH}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def test_healthy_when_the_database_and_the_service_answer(serve, postgres_cluster, monkeypatch, demo_sandbox):
    monkeypatch.setenv("CEOX_DATABASE_URL", postgres_cluster.new_database())
    answer = httpx.get(serve(demo_sandbox.api_url), timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"database": "ok", "ceox": "ok"})


def test_503_naming_what_is_unreachable_without_addresses_or_passwords(serve, monkeypatch):
    port = _closed_port()
    monkeypatch.setenv("CEOX_DATABASE_URL", f"postgresql://ceox:hunter2secret@127.0.0.1:{port}/ceox")
    answer = httpx.get(serve(f"http://127.0.0.1:{_closed_port()}/api/v1"), timeout=30)
    assert (answer.status_code, answer.json()) == (503, {"database": "unreachable", "ceox": "unreachable"})
    assert "127.0.0.1" not in answer.text and "hunter2" not in answer.text


def test_local_files_and_the_demo_need_nothing_reachable(serve, monkeypatch):
    monkeypatch.delenv("CEOX_DATABASE_URL", raising=False)
    answer = httpx.get(serve(None), timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"database": "local", "ceox": "demo"})


def test_json_logs_are_one_object_per_line_with_secrets_masked(capsys):
    logger = logging.getLogger("tests.json_logs")
    handler = logging.StreamHandler()
    handler.setFormatter(logs.JsonFormatter())
    logger.addHandler(handler)
    try:
        logger.warning("connecting with ceox_abcdefghijklmnop to %s",
                       "postgresql://ceox:hunter2secret@db.internal:5432/ceox", extra={"tenant": "a1b2", "n": 3})
        try:
            raise database.DatabaseUnavailable("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl refused")
        except database.DatabaseUnavailable:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = capsys.readouterr().err.strip().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == "tests.json_logs"
    assert first["message"] == "connecting with ••• to postgresql://ceox:•••@db.internal:5432/ceox"
    assert (first["tenant"], first["n"]) == ("a1b2", 3)
    assert second["error"] == "DatabaseUnavailable" and "eyJ" not in second["traceback"]
    assert "hunter2" not in "".join(lines) and "ceox_abc" not in "".join(lines)


def test_json_logs_are_set_up_only_when_asked():
    root = logging.getLogger()
    before = list(root.handlers)
    logs.configure("text")
    assert root.handlers == before
