"""A request description: what one endpoint asks of the service and how to read the answer.

Resource methods build a `Call`; the sync and async clients execute it. So each endpoint is written
once, and retries, errors and parsing live in the clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import TypeAdapter

from ceox_api.assumptions import IDEMPOTENT_POSTS, LIST_KEYS
from ceox_api.models import CeoxModel, normalise_key

T = TypeVar("T")
M = TypeVar("M", bound=CeoxModel)

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
_WRAPPER_KEYS = frozenset(normalise_key(k) for k in LIST_KEYS)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP request; `path` is a template filled from `path_params`."""

    method: str
    path: str
    parse: Callable[[Any], T]
    path_params: Mapping[str, int | str] = field(default_factory=dict)
    # Kept out of repr(): bodies carry passwords.
    json: Any = field(default=None, repr=False)
    params: Mapping[str, Any] | None = None
    # Sandbox-only endpoints live beside `/api/v1`, not under it.
    sandbox: bool = False

    @property
    def url_path(self) -> str:
        return self.path.format(**{k: quote(str(v), safe="") for k, v in self.path_params.items()})

    @property
    def idempotent(self) -> bool:
        """Whether repeating the request is harmless, which is what allows retrying it."""
        return self.method in _IDEMPOTENT_METHODS or (self.method == "POST" and self.path in IDEMPOTENT_POSTS)


class NotGiven:
    """An argument the caller left out: "leave unchanged" in a partial update, so that None can mean
    "clear" (as in openai-python). `NOT_GIVEN` is its one instance."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def given(**fields: Any) -> dict[str, Any]:
    """The optional fields and query parameters the caller gave (None means "not given")."""
    return {key: value for key, value in fields.items() if value is not None and value is not NOT_GIVEN}


def changes(**fields: Any) -> dict[str, Any]:
    """The fields of a partial update that the caller gave, None included (it clears the field)."""
    return {key: value for key, value in fields.items() if value is not NOT_GIVEN}


def nothing(body: Any) -> None:
    """For 204 answers (and any body a pure action may return anyway)."""
    return None


def one(model: type[M]) -> Callable[[Any], M]:
    fields = frozenset(normalise_key(name) for name in model.model_fields)

    def parse(body: Any) -> M:
        return model.model_validate(_unwrap_object(body, fields))

    return parse


def many(model: type[M], key: str | None = None) -> Callable[[Any], list[M]]:
    """A list answer: a bare array, or one wrapped under `key` or one of the tolerated list keys."""
    wanted = {normalise_key(k) for k in ((key,) if key else ()) + LIST_KEYS}

    def parse(body: Any) -> list[M]:
        body = _unwrap_object(body, frozenset())
        if isinstance(body, Mapping):
            body = next(
                (v for k, v in body.items() if normalise_key(str(k)) in wanted and isinstance(v, list | None)),
                body,
            )
        # `null` for an empty list is what a Go service sends for a nil slice.
        return _list_adapter(model).validate_python([] if body is None else body)

    return parse


def _unwrap_object(body: Any, fields: frozenset[str]) -> Any:
    """`{"data": {...}}` is an envelope around the object, beside paging or status fields, as long as
    none of the other keys is one of the object's own `fields`."""
    if not isinstance(body, Mapping):
        return body
    inner = [v for k, v in body.items() if normalise_key(str(k)) in _WRAPPER_KEYS and isinstance(v, Mapping)]
    others = {normalise_key(str(k)) for k in body} - _WRAPPER_KEYS
    if len(inner) == 1 and not others & fields:
        return inner[0]
    return body


@cache
def _list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]
