"""How one resource class serves both clients.

A resource method decorated with `@endpoint` only builds a `Call`. Read from a resource of the
sync client it runs the call and returns the result; read from a resource of the async client it
returns an awaitable. The `Sync`/`Async` type parameter tells type checkers which one they get.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from ceox_api._call import Call

P = ParamSpec("P")
T = TypeVar("T")


class Sync:
    """Type marker: endpoint methods return their result."""


class Async:
    """Type marker: endpoint methods return an awaitable of their result."""


Mode = TypeVar("Mode", Sync, Async)


class Resource(Generic[Mode]):
    def __init__(self, client: Any) -> None:
        # A Client or an AsyncClient: its `_request` runs a Call, or returns an awaitable running it.
        self._client = client


class endpoint(Generic[P, T]):
    """Turns a method that builds a `Call` into one that executes it on the resource's client."""

    def __init__(self, build: Callable[Concatenate[Any, P], Call[T]]) -> None:
        self._build = build
        self._name = build.__name__
        self.__doc__ = build.__doc__
        # What help() and notebooks show for the executing method: the builder's parameters without
        # `self`, and the result the call parses to rather than the Call itself.
        signature = inspect.signature(build)
        result = str(signature.return_annotation).removeprefix("Call[").removesuffix("]")
        parameters = list(signature.parameters.values())[1:]
        self._signatures = {
            awaits: signature.replace(
                parameters=parameters, return_annotation=f"Awaitable[{result}]" if awaits else result
            )
            for awaits in (False, True)
        }

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, resource: None, owner: type) -> Self: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type | None = None) -> Callable[P, T]: ...
    @overload
    def __get__(self, resource: Resource[Async], owner: type | None = None) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type | None = None) -> Any:
        if resource is None:
            return self
        build, request = self._build, resource._client._request

        def execute(*args: Any, **kwargs: Any) -> Any:
            return request(build(resource, *args, **kwargs))

        execute.__name__ = self._name
        execute.__qualname__ = f"{type(resource).__qualname__}.{self._name}"
        execute.__doc__ = self.__doc__
        execute.__module__ = build.__module__
        execute.__signature__ = self._signatures[inspect.iscoroutinefunction(request)]  # type: ignore[attr-defined]
        # A non-data descriptor yields to the instance dict, so later reads skip this method.
        resource.__dict__[self._name] = execute
        return execute


R = TypeVar("R", bound=Resource[Any])


class resource(Generic[R]):
    """A client attribute holding one resource, made on first use: `users = resource(Users[Sync])`."""

    def __init__(self, kind: Callable[[Any], R]) -> None:
        self._kind = kind
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, client: None, owner: type) -> Self: ...
    @overload
    def __get__(self, client: object, owner: type | None = None) -> R: ...
    def __get__(self, client: object | None, owner: type | None = None) -> Any:
        if client is None:
            return self
        made = client.__dict__[self._name] = self._kind(client)
        return made
