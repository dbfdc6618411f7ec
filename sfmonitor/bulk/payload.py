"""Bodies from the org are data that may be hostile: parsed with bounds on nesting.

Python's JSON parser recurses once per level and fails with ``RecursionError`` deep down, and a
value nested thousands deep makes every later comparison, copy or print recurse as deep. So a
body is refused when it nests deeper than any Salesforce document does, with a ProtocolError that
costs the one request it came with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .errors import HostileBody, ProtocolError

MAX_DEPTH = 32  # Salesforce's job documents nest 2-3 levels; a listing page 3


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests more than ``limit`` containers deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | tuple))
    return False


def loads_json(body: bytes | str, what: str) -> Any:
    """JSON from the org, or a ProtocolError naming ``what`` (garbled, or nested absurdly deep)."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise HostileBody(f"the body nests deeper than {MAX_DEPTH} levels; refused ({what})") from None
    except ValueError:
        raise ProtocolError(f"the body is not valid JSON ({what})") from None
    if depth_exceeds(data):
        raise HostileBody(f"the body nests deeper than {MAX_DEPTH} levels; refused ({what})")
    return data
