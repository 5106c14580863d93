"""Several API calls as one `execute` request: the VKScript we generate and the per-call outcome of its answer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vk_api.exceptions import ApiError

MAX_CALLS = 25  # VK runs at most 25 API calls per execute


@dataclass(frozen=True)
class Call:
    """One API call. A failed `required` call fails the send; an optional one (a button press's
    event answer) is only logged. `params` never reach a log: they hold texts."""

    method: str
    params: dict[str, Any]
    required: bool = True


class NotRun(Exception):
    """The script stopped before this call (an earlier required call failed): safe to send again."""


def script(calls: Sequence[Call]) -> str:
    """VKScript running `calls` in order, returning their results; it stops after a failed required
    call, so a message never overtakes an earlier one that has to be retried."""
    lines = []
    for n, call in enumerate(calls):
        params = {k: v for k, v in call.params.items() if v is not None}
        lines.append(f"var r{n} = API.{call.method}({json.dumps(params, ensure_ascii=False)});")
        if call.required and n < len(calls) - 1:
            lines.append(f"if (!r{n}) return {results(n + 1)};")
    lines.append(f"return {results(len(calls))};")
    return "\n".join(lines)


def results(n: int) -> str:
    return "[" + ", ".join(f"r{i}" for i in range(n)) + "]"


def outcomes(vk: Any, calls: Sequence[Call], answer: dict) -> list[tuple[Any, BaseException | None]]:
    """Per call (result, None) when it was done, else (None, the ApiError it failed with — from
    `execute_errors` — or NotRun)."""
    response = answer.get("response")
    done = response if isinstance(response, list) else []
    errors = list(answer.get("execute_errors") or [])
    out: list[tuple[Any, BaseException | None]] = []
    for n, call in enumerate(calls):
        if n >= len(done):
            out.append((None, NotRun(call.method)))
        elif done[n] is False:
            i = next((i for i, e in enumerate(errors) if e.get("method") == call.method), None)
            error = errors.pop(i) if i is not None else {"error_code": 10, "error_msg": "no execute_errors entry"}
            out.append((None, ApiError(vk, call.method, None, False, error)))
        else:
            out.append((done[n], None))
    return out
