"""Schemathesis fuzzes every /api/v1 operation of a private sandbox from the OpenAPI document it serves:
no input, valid or not, makes it answer 5xx, and every answer (status, content type, body) is one the
document describes.

`/sandbox/...` is left out: it injects faults and revokes API keys, so the fuzzer could lock itself out.
Runs are derandomized (the same cases every time) and bounded: about 1,000 requests in all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ceox_sandbox.server import SandboxServer
from tests.conftest import FAST_RETRIES
from tests.sandbox.helpers import AGENT, PASSWORD

EXAMPLES = 20  # per operation and run: valid input, invalid input, valid input about an existing object
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Objects of the demo workspace, addressed so that updates and deletes get past "not found".
EXISTING = {"conversation_id": 1, "webhook_id": 1, "user_id": 2, "role_id": 3, "inbox_id": 1, "device_id": 1}
# What an agent (chats.send, its own inboxes) does with a user token, and two it may not do.
TOKEN_OPERATIONS = {
    ("GET", "/api/v1/me"), ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/{conversation_id}/messages"),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"),
    ("POST", "/api/v1/conversations/{conversation_id}/read"),
    ("POST", "/api/v1/conversations/{conversation_id}/status"), ("POST", "/api/v1/messages/send"),
    ("GET", "/api/v1/contacts"), ("GET", "/api/v1/users"), ("GET", "/api/v1/inboxes/{inbox_id}/members"),
}


@pytest.fixture
def fuzz_sandbox() -> Iterator[SandboxServer]:
    """A private demo workspace per test: the fuzzer deletes and rewrites whatever it reaches."""
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


def _operations(sandbox: SandboxServer) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{sandbox.base_url}/openapi.json").include(path_regex=r"^/api/v1/")
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation: schemathesis.APIOperation, headers: dict[str, str], statuses: Counter[int],
          objects: dict[str, int]) -> list[str]:
    """Send the operation's generated cases and check each answer; the failures, one entry each."""
    existing = {p.name: objects[p.name] for p in operation.path_parameters if p.name in objects}
    runs = [("valid", GenerationMode.POSITIVE, {}), ("invalid", GenerationMode.NEGATIVE, {})]
    if existing:
        runs.append(("valid, existing object", GenerationMode.POSITIVE, existing))
    failures = []
    for label, mode, path_parameters in runs:

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Unsatisfiable:
            pass  # nothing to make invalid: the operation takes no parameters and no body
        except Exception as exc:  # noqa: BLE001 (every operation is fuzzed; all failures are reported together)
            failures.append(f"{operation.label} ({label}): {str(exc)[:3000]}")
    return failures


def _report(who: str, operations: list, statuses: Counter[int]) -> None:
    print(f"\n{who}: {len(operations)} operations, {statuses.total()} cases, statuses {dict(sorted(statuses.items()))}")


def test_no_operation_fails_with_the_api_key(fuzz_sandbox):
    operations = _operations(fuzz_sandbox)
    assert len(operations) >= 35 and all(op.path.startswith("/api/v1/") for op in operations)
    statuses: Counter[int] = Counter()
    failures = [f for op in operations for f in _fuzz(op, {"Authorization": fuzz_sandbox.api_key}, statuses, EXISTING)]
    _report("API key", operations, statuses)
    assert failures == [], "\n\n".join(failures)
    assert statuses.total() >= EXAMPLES * len(operations)
    assert statuses[200] and statuses[201] and statuses[204]  # the fuzzer reached real work, not only errors


def test_no_operation_fails_with_a_user_token(fuzz_sandbox):
    login = httpx.post(f"{fuzz_sandbox.api_url}/auth/login", json={"email": AGENT, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    mine = httpx.get(f"{fuzz_sandbox.api_url}/conversations", headers=headers).json()[0]
    objects = {"conversation_id": mine["id"], "inbox_id": mine["inbox_id"]}
    operations = [op for op in _operations(fuzz_sandbox) if (op.method.upper(), op.path) in TOKEN_OPERATIONS]
    assert len(operations) == len(TOKEN_OPERATIONS)
    statuses: Counter[int] = Counter()
    failures = [f for op in operations for f in _fuzz(op, headers, statuses, objects)]
    _report("Agent token", operations, statuses)
    assert failures == [], "\n\n".join(failures)
    assert statuses[403]  # the agent's role lacks users.manage
    assert statuses[200] and statuses[204]
