"""Several API calls as one `execute` request: the VKScript we generate and the per-call outcome of its answer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from vk_api.exceptions import ApiError

MAX_CALLS = 25  # VK runs at most 25 API calls per execute


@dataclass(frozen=True, eq=False)
class Call:
    """One API call (compared by identity: a later call's parameter may stand for its result). A failed
    `required` call fails the send; an optional one (a button press's event answer) is only logged.
    `then`: VKScript run inside the execute once the call went through, rewriting its result `{r}`
    (`{n}` numbers its own variables); required calls only. `params` never reach a log: they hold texts."""

    method: str
    params: dict[str, Any]
    required: bool = True
    then: str = ""


@dataclass(frozen=True)
class Joined:
    """A text parameter joined from literal pieces and the results of earlier calls (`Call` parts)."""

    parts: tuple[str | Call, ...]


class NotRun(Exception):
    """The script stopped before this call (an earlier required call failed): safe to send again."""


def joined(parts: Sequence[str | Call]) -> str | Joined:
    """Plain text when no part waits for a call's result, else a Joined (adjacent texts merged)."""
    merged: list[str | Call] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return "".join(merged) if all(isinstance(p, str) for p in merged) else Joined(tuple(merged))  # type: ignore[arg-type]


def resolve(calls: Sequence[Call], known: dict[Call, Any]) -> list[Call]:
    """`calls` with the parts that stand for calls already done (results in `known`) filled in."""
    out = []
    for call in calls:
        changed = {k: joined([known.get(p, p) if isinstance(p, Call) else p for p in v.parts])
                   for k, v in call.params.items() if isinstance(v, Joined)}
        out.append(replace(call, params={**call.params, **changed}) if changed else call)
    return out


def script(calls: Sequence[Call]) -> str:
    """VKScript running `calls` in order, returning their results; it stops after a failed required
    call, so a message never overtakes an earlier one that has to be retried."""
    names = {call: f"r{n}" for n, call in enumerate(calls)}
    lines = []
    for n, call in enumerate(calls):
        assert call.required or not call.then, "then needs a required call"
        args = ", ".join(f"{json.dumps(k)}: {expression(v, names)}" for k, v in call.params.items() if v is not None)
        lines.append(f"var r{n} = API.{call.method}({{{args}}});")
        if call.required and (n < len(calls) - 1 or call.then):
            lines.append(f"if (!r{n}) return {results(n + 1)};")
        if call.then:
            lines.append(call.then.format(r=f"r{n}", n=n))
    lines.append(f"return {results(len(calls))};")
    return "\n".join(lines)


def expression(value: Any, names: dict[Call, str]) -> str:
    if not isinstance(value, Joined):
        return json.dumps(value, ensure_ascii=False)
    return " + ".join(names[p] if isinstance(p, Call) else json.dumps(p, ensure_ascii=False) for p in value.parts)


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
