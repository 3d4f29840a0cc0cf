"""`python -m ceox_sandbox`: what it prints, that it serves, that it stops cleanly, and that it keeps its key."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.sandbox.helpers import request, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sandbox:
    """`python -m ceox_sandbox ...` in a child process, with its output read line by line."""

    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "ceox_sandbox", "--port", str(self.port), *args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.stdout.append(line)
            self.lines.put(line)

    def banner(self, timeout: float = 30) -> tuple[str, str]:
        """The API URL and key it printed, once it printed both."""
        url = key = None
        deadline = time.monotonic() + timeout
        while url is None or key is None:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no banner; stdout {self.stdout}, exit code {self.process.poll()}") from None
            if found := re.search(r"(http://127\.0\.0\.1:\d+/api/v1)", line):
                url = found.group(1)
            if found := re.search(r"API key: (ceox_\S+)", line):
                key = found.group(1)
        return url, key

    def stop(self, sig: signal.Signals) -> tuple[int, str]:
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"still running 10 s after {sig.name}") from None
        return code, self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start():
    started: list[Sandbox] = []

    def run(*args: str) -> Sandbox:
        started.append(Sandbox(*args))
        return started[-1]

    yield run
    for sandbox in started:
        sandbox.kill()


def _seconds(url: str, key: str) -> float:
    started = time.perf_counter()
    assert request("GET", url, headers={"Authorization": key}).status_code == 200
    return time.perf_counter() - started


def _clean_exit(code: int, stderr: str, sig: signal.Signals) -> None:
    assert code in (0, -sig), (code, stderr)
    assert "Traceback" not in stderr, stderr


def test_generated_key_is_kept_in_the_database_and_signals_stop_it(start, tmp_path):
    db = str(tmp_path / "sandbox.db")
    first = start("--db", db, "--seed", "empty")
    url, key = first.banner()
    assert url == f"http://127.0.0.1:{first.port}/api/v1"
    me = request("GET", f"{url}/me", headers={"Authorization": key})
    assert me.status_code == 200 and me.json()["kind"] == "api_key"
    assert request("GET", f"{url}/devices", headers={"Authorization": key}).json() == []
    assert request("POST", f"{url}/roles", headers={"Authorization": key}, json={"name": "Kept"}).status_code == 201
    _clean_exit(*first.stop(signal.SIGTERM), signal.SIGTERM)

    second = start("--db", db, "--seed", "empty")
    url, again = second.banner()
    assert again == key  # the same generated key, read back from the database
    roles = request("GET", f"{url}/roles", headers={"Authorization": key}).json()
    assert [r["name"] for r in roles] == ["Kept"]  # and the same data
    _clean_exit(*second.stop(signal.SIGINT), signal.SIGINT)


def test_given_key_and_latency(start, tmp_path):
    server = start("--db", str(tmp_path / "given.db"), "--seed", "empty", "--api-key", "ceox_testkey123456",
                   "--latency-ms", "100")
    url, key = server.banner()
    assert key == "ceox_testkey123456"
    assert min(_seconds(f"{url}/me", key) for _ in range(2)) >= 0.1
    assert min(_seconds(url.removesuffix("/api/v1") + "/healthz", key) for _ in range(3)) < 0.1  # not slowed
    assert request("GET", f"{url}/me", headers={"Authorization": "ceox_otherkey123456"}).status_code == 401
    _clean_exit(*server.stop(signal.SIGTERM), signal.SIGTERM)


@pytest.mark.parametrize("bad", ["nope", "ceox_x"])
def test_a_bad_api_key_exits_with_a_message(bad):
    result = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "ceox_sandbox", "--port", str(_free_port()), "--seed", "empty", "--api-key", bad],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "ceox_" in result.stderr and "Traceback" not in result.stderr
    assert "API key:" not in result.stdout


def test_workspaces_each_print_a_key_and_keep_their_own_file(start, tmp_path):
    db = tmp_path / "tenants.db"
    server = start("--db", str(db), "--workspaces", "2")
    url, first = server.banner()
    second = wait_for(lambda: next((found.group(1) for line in server.stdout
                                    if (found := re.search(r"workspace 2: (ceox_\S+)", line))), None), timeout=30)
    emails = {key: {u["email"] for u in request("GET", f"{url}/users", headers={"Authorization": key}).json()}
              for key in (first, second)}
    assert "admin@demo.ceox.local" in emails[first] and "admin@w2.demo.ceox.local" in emails[second]
    assert not emails[first] & emails[second]
    assert (tmp_path / "tenants.w2.db").exists()
    _clean_exit(*server.stop(signal.SIGTERM), signal.SIGTERM)


@pytest.mark.parametrize("bad", ["0", "21", "two"])
def test_a_bad_workspace_count_exits_with_a_message(bad):
    result = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "ceox_sandbox", "--port", str(_free_port()), "--seed", "empty", "--workspaces", bad],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "workspaces" in result.stderr and "Traceback" not in result.stderr
