"""A request's state (what the gateway's middleware and checks note on it), read as the dict it is.

`request.state` wraps the same dict, but its `__getattr__` is Python code that raises and
catches an AttributeError, with its message formatted, for every name not yet set; on the
proxy path, with the other attribute look-ups, that was a large part of the gateway's own
work per call. The middleware writes the same dict (`scope["state"]`), so both ways of
reading agree.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request


def state_of(request: Request) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state
