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
YEAR = re.compile(r"^(\d{4})-")


def _z(instant):
    return instant.isoformat().replace("+00:00", "Z")


def _within_rules(key, value):
    if not isinstance(value, str) or not YEAR.match(value):
        return value  # not an instant: an invalid request, left as drawn
    year = int(YEAR.match(value).group(1))
    if year < 1971:
        return "2000-01-01T00:00:00Z"
    if year > 9998:
        return "2100-01-01T00:00:00Z" if key not in PAST_INSTANTS else _z(datetime.now(timezone.utc) - timedelta(days=1))
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if key in PAST_INSTANTS and instant.tzinfo is not None and instant > datetime.now(timezone.utc):
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
