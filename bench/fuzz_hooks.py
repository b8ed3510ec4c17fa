"""Schemathesis hooks for bench/fuzz.ts: two rules of the API that JSON Schema cannot state.

1. Instants a person states in a decision (a due date, a regime's start, a materiality
   determination, a filing, an engagement) must fall in 1970-9999.
2. Those recording something that happened (all but the due date) must not be in the future.

The OpenAPI document says so in words; the generator reads only the schema, so without this it
would draw years from 0000 to 9999 for "valid" requests and count the API's 400 as a rejected
valid request. Instants outside the rules are moved inside them, which keeps every other part of
a generated request (and every invalid one) as drawn.
"""

import re
from datetime import datetime, timedelta, timezone

import schemathesis

PAST_INSTANTS = {"startedAt", "determinedAt", "filedAt", "engagedAt"}
STATED_INSTANTS = PAST_INSTANTS | {"dueAt"}
RFC3339 = re.compile(r"^(\d{4})(-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))$")


def _z(instant):
    return instant.isoformat().replace("+00:00", "Z")


def _year_if_instant(value):
    """The year of a valid RFC 3339 date-time, else None (an invalid request, to be left as drawn)."""
    match = RFC3339.match(value) if isinstance(value, str) else None
    if not match:
        return None
    # Python reads no year 0; a year of the same 400-year leap cycle checks the rest the same way.
    try:
        datetime.fromisoformat(f"{int(match.group(1)) % 400 + 2000:04d}{match.group(2)}".replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(match.group(1))


def _within_rules(key, value):
    year = _year_if_instant(value)
    if year is None:
        return value
    past_only = key in PAST_INSTANTS
    if year < 1971:
        return "2000-01-01T00:00:00Z"
    if year > 9998:
        return _z(datetime.now(timezone.utc) - timedelta(days=1)) if past_only else "2100-01-01T00:00:00Z"
    if past_only and datetime.fromisoformat(value.replace("Z", "+00:00")) > datetime.now(timezone.utc):
        return _z(datetime.now(timezone.utc) - timedelta(days=1))
    return value


def _mapped(node):
    if isinstance(node, dict):
        return {key: _within_rules(key, value) if key in STATED_INSTANTS else _mapped(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_mapped(item) for item in node]
    return node


@schemathesis.hook
def map_body(context, body):
    return _mapped(body)
