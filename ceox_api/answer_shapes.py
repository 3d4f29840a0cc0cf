"""How an API answer is shaped, read from its raw JSON for the connection doctor (ceox_api/doctor.py):
its wrapper, key spelling, id and time formats, how "never" is spelt, null lists and paging style.

Each function returns words or counts only, never a value from the answer.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, get_args

from ceox_api._paging import _items_and_hints
from ceox_api.assumptions import LIST_KEYS, NEXT_KEYS, WA_STATUS_KEY, ZERO_TIME_PREFIXES
from ceox_api.models import CeoxModel, normalise_key

_LIST_KEYS = {normalise_key(k): k for k in (*LIST_KEYS, WA_STATUS_KEY)}
_NEXT_KEYS = frozenset(map(normalise_key, NEXT_KEYS))


def _unwrap(body: Any) -> Any:
    """The list or object inside one envelope (`{"data": ...}`), or the body itself."""
    if isinstance(body, Mapping):
        inner = [v for k, v in body.items() if normalise_key(str(k)) in _LIST_KEYS and isinstance(v, list | Mapping)]
        if len(inner) == 1:
            return _unwrap(inner[0]) if isinstance(inner[0], Mapping) and _has_wrapped(inner[0]) else inner[0]
    return body


def _has_wrapped(body: Mapping[str, Any]) -> bool:
    return any(normalise_key(str(k)) in _LIST_KEYS and isinstance(v, list | Mapping) for k, v in body.items())


def records(body: Any, is_list: bool) -> list[Mapping[str, Any]]:
    """The items of a list answer, or the one object of an object answer."""
    inner = _unwrap(body)
    if isinstance(inner, list):
        return [r for r in inner if isinstance(r, Mapping)]
    if isinstance(inner, Mapping) and not is_list:
        return [inner]
    return []


def wrapper(body: Any, depth: int = 0) -> str:
    if isinstance(body, list):
        return "bare list"
    if body is None:
        return "null"
    if not isinstance(body, Mapping):
        return "plain value"
    for key, value in body.items():
        name = _LIST_KEYS.get(normalise_key(str(key)))
        if name is None:
            continue
        if isinstance(value, list) or value is None:
            return f"list under “{name}”"
        if isinstance(value, Mapping) and depth == 0:
            inner = wrapper(value, 1)
            return f"object under “{name}”" if inner == "object" else f"{inner} under “{name}”"
    return "object"


def fields(model_type: type[CeoxModel], records: list[Mapping[str, Any]],
           optional: Collection[str] = ()) -> tuple[Any, ...]:
    """present, missing, omitted, always empty (field names of the client's model, leaving out `optional`
    ones), and the number of keys the client does not read."""
    model = model_type.model_fields
    names = {normalise_key(n): n for n in model if n not in optional}
    known = {normalise_key(n) for n in model}
    present: set[str] = set()
    filled: set[str] = set()
    extra: set[str] = set()
    for record in records:
        for key, value in record.items():
            norm = normalise_key(str(key))
            if norm in names:
                present.add(names[norm])
                if value not in (None, "", [], {}):
                    filled.add(names[norm])
            elif norm not in known:
                extra.add(norm)
    absent = [n for n in names.values() if n not in present]
    return (tuple(n for n in names.values() if n in present),
            tuple(n for n in absent if model[n].default is None),
            tuple(n for n in absent if model[n].default is not None),
            tuple(n for n in names.values() if n in present and n not in filled), len(extra))


def key_case(records: list[Mapping[str, Any]]) -> str:
    styles = set()
    for record in records[:200]:
        for key in map(str, record):
            if "_" in key:
                styles.add("snake_case")
            elif key[:1].isupper():
                styles.add("PascalCase")
            elif any(ch.isupper() for ch in key):
                styles.add("camelCase")
    if not records:
        return "none seen"
    return "mixed" if len(styles) > 1 else next(iter(styles), "lower-case words")


def _id_fields(model: type[CeoxModel]) -> frozenset[str]:
    """The model's id fields: numbers (or lists of them) named `id` or `…_id(s)`."""
    return frozenset(normalise_key(name) for name, info in model.model_fields.items()
                     if (name == "id" or name.endswith(("_id", "_ids"))) and "int" in str(info.annotation))


def id_format(model: type[CeoxModel], records: list[Mapping[str, Any]]) -> str:
    fields = _id_fields(model)
    kinds = set()
    for record in records[:500]:
        for key, value in record.items():
            if normalise_key(str(key)) not in fields or value is None:
                continue
            for one in value if isinstance(value, list) else [value]:
                kinds.add("numbers" if isinstance(one, int) and not isinstance(one, bool) else "text")
    return "mixed" if len(kinds) > 1 else next(iter(kinds), "none seen")


def _time_fields(model: type[CeoxModel]) -> dict[str, str]:
    return {normalise_key(name): name for name, info in model.model_fields.items()
            if datetime in get_args(info.annotation) or info.annotation is datetime}


def _time_values(model: type[CeoxModel], records: list[Mapping[str, Any]]) -> Iterable[tuple[str, Any]]:
    fields = _time_fields(model)
    for record in records[:2000]:
        for key, value in record.items():
            if normalise_key(str(key)) in fields:
                yield fields[normalise_key(str(key))], value


_ISO = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(?P<zone>Z|[+-]\d\d:?\d\d)?$")


def _never_spelling(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, str):
        if not value.strip():
            return "empty text"
        if value.startswith(ZERO_TIME_PREFIXES[0]):
            return "Go zero time"
        if value.startswith(ZERO_TIME_PREFIXES[1:]):
            return "zero date"
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return "0"
    return None


def time_formats(model: type[CeoxModel], records: list[Mapping[str, Any]]) -> tuple[str, ...]:
    formats = set()
    for _, value in _time_values(model, records):
        if _never_spelling(value) is not None:
            continue
        if isinstance(value, str):
            match = _ISO.match(value.strip())
            zone = match and match.group("zone")
            formats.add("other text" if not match else "ISO 8601 without zone" if not zone
                        else "ISO 8601 UTC (Z)" if zone in ("Z", "+00:00", "+0000") else "ISO 8601 with offset")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            formats.add("epoch milliseconds" if value > 10**11 else "epoch seconds")
        else:
            formats.add("other")
    return tuple(sorted(formats))


def never_as(model: type[CeoxModel], records: list[Mapping[str, Any]]) -> tuple[str, ...]:
    spellings = {s for _, value in _time_values(model, records) if (s := _never_spelling(value)) is not None}
    fields = _time_fields(model)
    sent = {fields[normalise_key(str(k))] for r in records for k in r if normalise_key(str(k)) in fields}
    # A time field some items carry and others leave out is "never" spelt by omission.
    if any(name not in {fields.get(normalise_key(str(k))) for k in r} for r in records for name in sent):
        spellings.add("omitted")
    return tuple(sorted(spellings))


def null_lists(model: type[CeoxModel], body: Any, records: list[Mapping[str, Any]]) -> bool:
    if body is None or (isinstance(body, Mapping) and any(
            normalise_key(str(k)) in _LIST_KEYS and v is None for k, v in body.items())):
        return True
    lists = {normalise_key(n) for n, info in model.model_fields.items() if getattr(info.annotation, "__origin__", None)
             is list or str(info.annotation).startswith("list[")}
    return any(normalise_key(str(k)) in lists and v is None for r in records for k, v in r.items())


def paging(body: Any, next_link: bool) -> str:
    """How the answer says where the next page is (`next_link`: a Link header came along)."""
    if next_link:
        return "Link header"
    _, hints = _items_and_hints(body)
    nxt = next((v for k, v in hints.items() if k in _NEXT_KEYS and v not in (None, "")), None)
    if isinstance(nxt, str) and nxt.startswith(("http://", "https://", "/", "?")):
        return "next-page address"
    if nxt is not None:
        return "cursor"
    if any(k in hints for k in ("page", "currentpage", "pagenumber")):
        return "page numbers"
    if "offset" in hints:
        return "offsets"
    return "none"
