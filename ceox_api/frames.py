"""Lists of models as pandas DataFrames, for notebooks and the dashboard's tables.

pandas is imported only when a frame is asked for, so `import ceox_api` stays light.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from pydantic import BaseModel

if TYPE_CHECKING:
    import pandas as pd

# Nullable dtypes, so a missing value stays missing instead of turning a column into floats or objects.
_DTYPES: dict[type, str] = {bool: "boolean", int: "Int64", float: "Float64"}


def to_frame(items: Iterable[BaseModel], model: type[BaseModel] | None = None) -> pd.DataFrame:
    """One row per object and one column per field, in field order, on a RangeIndex.

    Integers become `Int64`, booleans `boolean`, floats `Float64`, timestamps tz-aware UTC
    datetimes; lists and nested objects stay Python objects. Give `model` to get the columns of an
    empty list.
    """
    import pandas as pd

    rows = list(items)
    model = model or (type(rows[0]) if rows else None)
    if model is None:
        return pd.DataFrame()
    columns: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        values = [getattr(row, name) for row in rows]
        kind = _plain_type(field.annotation)
        if kind is datetime:
            columns[name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        elif kind in _DTYPES:
            columns[name] = pd.array(values, dtype=_DTYPES[kind])
        elif kind is str:
            columns[name] = pd.Series(values, dtype="str")
        else:
            columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns)


def _plain_type(annotation: Any) -> Any:
    """`int | None` → int; anything else unchanged."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
