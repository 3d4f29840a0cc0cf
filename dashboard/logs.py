"""Structured logs on request: `CEOX_LOG_FORMAT=json` writes one JSON object per line to stderr.

Each line has `time`, `level`, `logger`, `message`, the record's extra fields and, for an error, the
exception's type and traceback. Secrets never reach a line: anything shaped like an API key or a token
is masked (as in the audit log), and so is the password of any URL (a database URL, for instance).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from dashboard.audit import mask_secrets

FORMAT_ENV = "CEOX_LOG_FORMAT"
_URL_PASSWORD = re.compile(r"(://[^/:@\s]*:)[^@\s]+@")
# Attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def clean(text: str) -> str:
    return mask_secrets(_URL_PASSWORD.sub(r"\1•••@", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": clean(record.getMessage())}
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value if isinstance(value, int | float | bool) or value is None else clean(str(value))
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = clean(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str | None) -> None:
    """JSON lines on the root logger when `log_format` is "json" (once per process); else leave logging as is."""
    if (log_format or "").strip().lower() != "json":
        return
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
