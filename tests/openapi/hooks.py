"""Schemathesis hooks for fuzzing the stack from docs/openapi.yaml.

Loaded by tests/openapi/fuzz.sh through SCHEMATHESIS_HOOKS.

One rule only. OpenAPI cannot say that a response's body may be empty:
a response that documents JSON content must carry a Content-Type, so
schemathesis reports an empty body without one (as "missing
Content-Type" and as JSON that does not parse). Our contract has such
responses: a 403 to wrong credentials on `login` and `login/jwt` is
empty, while a CSRF refusal with the same status is JSON; an OPTIONS is
answered with JSON metadata, except a CORS preflight, whose 200 is empty.
docs/openapi.yaml marks those responses with `x-empty-body: true`; for
them, and only for a body that really is empty with no Content-Type,
those two failures are dropped. Everything else is checked as documented.
"""

import schemathesis
from schemathesis.core.failures import MalformedJson
from schemathesis.openapi.checks import MissingContentType

EMPTY_BODY_FAILURES = (MissingContentType, MalformedJson)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but the two an allowed empty body raises."""
    if not isinstance(failure, EMPTY_BODY_FAILURES):
        return True
    if response.content or "content-type" in response.headers:
        return True
    documented = case.operation.responses.find_by_status_code(response.status_code)
    may_be_empty = documented is not None and documented.definition.get("x-empty-body") is True
    return not may_be_empty


def _is_text(media_type):
    main = (media_type or "").split(";")[0].strip().lower()
    return main.startswith("text/") or main == "application/json" or main.endswith("+json")


@schemathesis.hook
def map_case(context, case):
    """Sends junk text bodies as UTF-8 (the local stack cannot carry others).

    `cargo lambda watch` answers a body that is not UTF-8 with a JSON or
    text content type with its own 500 (`{"type":"https://httpstatuses.com/500",…}`,
    text/plain) without invoking the function. Such a body (schemathesis'
    random non-JSON bytes) is sent with its invalid bytes replaced by
    U+FFFD: still junk, and it reaches the function.
    """
    body = case.body
    if isinstance(body, bytes) and _is_text(case.media_type):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            case.body = body.decode("utf-8", "replace").encode("utf-8")
    return case
