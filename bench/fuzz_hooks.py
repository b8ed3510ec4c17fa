"""Schemathesis hooks for bench/fuzz.ts: one rule of the API that JSON Schema cannot state.

Instants a person records as having happened (a regime's start, a materiality determination, a
filing, an engagement) must not be in the future. The OpenAPI document says so in words; the
generator reads only the schema, so without this it would draw years up to 9999 for "valid"
requests and count the API's 400 as a rejected valid request. Future instants are moved into the
past, which keeps every other part of a generated request (and every invalid one) as drawn.
"""

from datetime import datetime, timedelta, timezone

import schemathesis

PAST_INSTANTS = {"startedAt", "determinedAt", "filedAt", "engagedAt"}


def _in_the_past(value):
    if not isinstance(value, str):
        return value
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # not an instant: an invalid request, left as drawn
    if instant.tzinfo is None or instant <= datetime.now(timezone.utc):
        return value
    return (datetime.now(timezone.utc) - timedelta(days=1)).isoformat().replace("+00:00", "Z")


@schemathesis.hook
def map_body(context, body):
    if isinstance(body, dict):
        return {key: _in_the_past(value) if key in PAST_INSTANTS else value for key, value in body.items()}
    return body
