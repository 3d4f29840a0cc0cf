"""Credentials: the right header for each kind, environment variables, and never a secret in any text."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import traceback
from pathlib import Path

import httpx
import pytest

from ceox_api import AsyncClient, CeoxError, Client, Credential, LoginResult
from ceox_api.assumptions import DEFAULT_BASE_URL
from tests.client.helpers import API, SECRET_KEY, Recorder, answer, mock_async_client, mock_client

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyIn0.SignatureOfTheToken"


@pytest.fixture(autouse=True)
def _no_ceox_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CEOX_API_KEY", raising=False)
    monkeypatch.delenv("CEOX_BASE_URL", raising=False)


def _authorization(**credentials: str) -> str | None:
    recorder = Recorder(httpx.Response(200, json=[]))
    with mock_client(recorder, **credentials) as client:
        client.devices.list()
    return recorder.requests[0].headers.get("Authorization")


def test_an_api_key_is_sent_bare() -> None:
    assert _authorization(api_key=SECRET_KEY) == SECRET_KEY


def test_a_key_without_its_prefix_gets_it() -> None:
    assert _authorization(api_key="TopSecretKey123456") == "ceox_TopSecretKey123456"


def test_a_token_is_sent_as_bearer() -> None:
    assert _authorization(api_key="", token=TOKEN) == f"Bearer {TOKEN}"
    assert _authorization(api_key="", token=f"Bearer {TOKEN}") == f"Bearer {TOKEN}"


def test_no_credential_sends_no_header() -> None:
    assert _authorization(api_key="") is None


@pytest.mark.parametrize("credential", [{"api_key": "ceox_has space"}, {"token": "a.b\nc"}])
def test_a_malformed_credential_is_refused_without_quoting_it(credential: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="spaces or control characters") as caught:
        Client(API, **credential)
    assert next(iter(credential.values())) not in str(caught.value)


def test_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEOX_API_KEY", "ceox_FromTheEnvironment1")
    monkeypatch.setenv("CEOX_BASE_URL", "https://env.ceox.test/api/v1/")
    with Client() as client:
        assert client.base_url == "https://env.ceox.test/api/v1"
        assert client.auth_kind == "api_key"
        assert client.sandbox_url == "https://env.ceox.test"
    assert _authorization(api_key="") == "ceox_FromTheEnvironment1"


def test_explicit_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEOX_API_KEY", "ceox_FromTheEnvironment1")
    monkeypatch.setenv("CEOX_BASE_URL", "https://env.ceox.test/api/v1")
    with Client("https://explicit.ceox.test/api/v1") as client:
        assert client.base_url == "https://explicit.ceox.test/api/v1"
    assert _authorization(api_key=SECRET_KEY) == SECRET_KEY
    assert _authorization(api_key="", token=TOKEN) == f"Bearer {TOKEN}"


def test_use_env_false_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEOX_API_KEY", "ceox_FromTheEnvironment1")
    monkeypatch.setenv("CEOX_BASE_URL", "https://env.ceox.test/api/v1")
    with Client(use_env=False) as client:
        assert (client.base_url, client.auth_kind) == (DEFAULT_BASE_URL, None)


def test_login_sends_no_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEOX_API_KEY", "ceox_FromTheEnvironment1")
    recorder = Recorder(httpx.Response(200, json={"token": TOKEN, "user": {"id": 2}}), httpx.Response(200, json=[]))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with Client.login(API, "agent@demo.ceox.local", "a-password", http_client=http) as client:
        client.devices.list()
    assert "Authorization" not in recorder.requests[0].headers
    assert recorder.requests[1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_default_base_url() -> None:
    with Client() as client:
        assert client.base_url == DEFAULT_BASE_URL == "https://api-wa.fantecno.net/api/v1"
        assert client.auth_kind is None


def test_identity_names_the_credential_without_revealing_it() -> None:
    one, same, other = Client(API, api_key=SECRET_KEY), Client(API, api_key=SECRET_KEY), Client(API, api_key="ceox_b")
    assert one.identity == same.identity != other.identity
    assert one.identity.startswith("api_key:") and SECRET_KEY not in one.identity


@pytest.mark.parametrize("make", [Client, AsyncClient])
@pytest.mark.parametrize("credential", [{"api_key": SECRET_KEY}, {"token": TOKEN}])
def test_no_secret_in_repr_str_or_attributes(make: type, credential: dict[str, str]) -> None:
    secret = next(iter(credential.values()))
    client = make(API, **credential)
    texts = [repr(client), str(client), repr(client._credential), str(client._credential), repr(vars(client))]
    for resource in (client.users, client.conversations, client.me):
        texts += [repr(resource), repr(vars(resource))]
    assert not [text for text in texts if secret in text]
    assert repr(client) == f"{make.__name__}(base_url='{API}', auth='{client.auth_kind}')"
    with pytest.raises(TypeError):
        pickle.dumps(client._credential)


def _leaks(secret: str, exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), repr(exc.args), repr(vars(exc)), "".join(traceback.format_exception(exc))]
    return [text for text in texts if secret in text]


def test_no_secret_in_an_error_that_echoes_it() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": f"invalid key {request.headers['Authorization']}"})

    with mock_client(echo) as client, pytest.raises(CeoxError) as caught:
        client.users.list()
    assert caught.value.message == "invalid key [redacted]"
    assert not _leaks(SECRET_KEY, caught.value)


def test_no_secret_in_a_transport_error_or_its_chain() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot send {request.headers['Authorization']}", request=request)

    with mock_client(fail, max_retries=1) as client, pytest.raises(CeoxError) as caught:
        client.users.list()
    assert not _leaks(SECRET_KEY, caught.value)
    # The httpx error holds the request and its headers: it must not travel along.
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_no_secret_in_log_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(httpx.Response(503, json={"error": "down"}), httpx.Response(200, json=[]))
    with mock_client(recorder) as client:
        client.users.list()
    with mock_client(answer({"token": TOKEN, "user": {"id": 2}})) as client:
        result = client.auth.login(email="agent@demo.ceox.local", password="hunter2-password")
    assert result.token.get_secret_value() == TOKEN
    messages = [record.getMessage() for record in caplog.records]
    assert any("HTTP Request: GET https://ceox.test/api/v1/users" in message for message in messages)
    assert any("retrying GET /users" in message for message in messages)
    for secret in (SECRET_KEY, TOKEN, "hunter2-password"):
        assert not [message for message in messages if secret in message]
        assert not [r for r in caplog.records if secret in repr(r.args) or secret in repr(r.__dict__)]


def test_a_token_never_shows_in_the_login_result() -> None:
    result = LoginResult.model_validate({"token": TOKEN, "user": {"id": 2, "name": "Budi"}})
    assert TOKEN not in repr(result) and TOKEN not in str(result)
    assert result.token.get_secret_value() == TOKEN


async def test_the_async_client_sends_the_same_header() -> None:
    recorder = Recorder(httpx.Response(200, json=[]))
    async with mock_async_client(recorder, api_key="", token=TOKEN) as client:
        await client.devices.list()
    assert recorder.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_importing_the_package_imports_neither_pandas_nor_streamlit() -> None:
    code = "import sys, ceox_api; print(sorted({'pandas', 'streamlit'} & set(sys.modules)))"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"


def test_a_client_takes_a_credential_as_it_is_and_refuses_two():
    credential = Credential("token", "eyJ.a.b")
    with Client("http://127.0.0.1:1/api/v1", credential=credential, use_env=False) as client:
        assert client.auth_kind == "token" and client.identity == credential.identity
    with pytest.raises(ValueError, match="not both"):
        Client("http://127.0.0.1:1/api/v1", credential=credential, api_key="ceox_other_key", use_env=False)
    assert credential == Credential("token", "eyJ.a.b") != Credential("api_key", "eyJ.a.b")
    assert "eyJ" not in repr(credential) and credential.reveal() == "eyJ.a.b"
