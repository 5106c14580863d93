"""The VKScript subset FakeVK's ``execute`` runs: ``var``, assignment to a declared variable, ``return``,
``if (...) statement``, ``!``, ``+`` (JavaScript's: text joined with text or a number, numbers added),
reading a member or an item (``p[0].owner_id``), JSON literals (objects may have bare keys), arrays,
variables and ``API.section.method({...})`` calls.

VK runs at most 25 API calls per ``execute`` (more: error 13 at the 26th call); code it cannot parse is
error 12.  An inner call that fails yields ``false`` and the script goes on — the caller (the fake)
records the failure in ``execute_errors``.  Anything outside this subset is a compile error here, so a
bot that generates something else fails loudly in tests instead of meeting a surprise on VK.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

MAX_CALLS = 25
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_JSON = json.JSONDecoder()


class CompileError(Exception):
    """Code outside the subset (VK error 12)."""


class ScriptError(Exception):
    """A runtime error (VK error 13), e.g. the 26th API call."""


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Parser:
    def __init__(self, code: str) -> None:
        self.s, self.i = code, 0

    def fail(self, what: str) -> CompileError:
        return CompileError(f"{what} at position {self.i}")

    def skip(self) -> bool:
        """Skip whitespace; whether anything is left."""
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1
        return self.i < len(self.s)

    def take(self, token: str) -> bool:
        self.skip()
        if not self.s.startswith(token, self.i):
            return False
        end = self.i + len(token)
        if token[-1].isalnum() and end < len(self.s) and (self.s[end].isalnum() or self.s[end] == "_"):
            return False  # "var" must not match the start of "variable"
        self.i = end
        return True

    def expect(self, token: str) -> None:
        if not self.take(token):
            raise self.fail(f"{token!r} expected")

    def ident(self) -> str:
        self.skip()
        m = _IDENT.match(self.s, self.i)
        if not m:
            raise self.fail("name expected")
        self.i = m.end()
        return m[0]

    def program(self) -> list[tuple]:
        statements = []
        while self.skip():
            statements.append(self.statement())
        return statements

    def statement(self) -> tuple:
        if self.take("var"):
            name = self.ident()
            self.expect("=")
            value = self.expr()
            self.expect(";")
            return ("var", name, value)
        if self.take("return"):
            value = self.expr()
            self.take(";")
            return ("return", value)
        if self.take("if"):
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            if self.take("{"):
                body = []
                while not self.take("}"):
                    if not self.skip():
                        raise self.fail("'}' expected")
                    body.append(self.statement())
            else:
                body = [self.statement()]
            return ("if", cond, body)
        name = self.ident()  # an assignment, the only statement left
        self.expect("=")
        value = self.expr()
        self.expect(";")
        return ("set", name, value)

    def expr(self) -> tuple:
        node = self.unary()
        while self.take("+"):
            node = ("add", node, self.unary())
        return node

    def unary(self) -> tuple:
        if self.take("!"):
            return ("not", self.unary())
        node = self.primary()
        while True:
            if self.take("["):
                node = ("item", node, self.expr())
                self.expect("]")
            elif self.take("."):
                node = ("item", node, ("lit", self.ident()))
            else:
                return node

    def primary(self) -> tuple:
        if self.take("["):
            return ("array", self.items("]", self.expr))
        if self.take("{"):
            return ("object", self.items("}", self.member))
        self.skip()
        if self.s.startswith('"', self.i):
            try:
                value, self.i = _JSON.raw_decode(self.s, self.i)
            except ValueError:
                raise self.fail("bad string") from None
            return ("lit", value)
        if m := _NUMBER.match(self.s, self.i):
            self.i = m.end()
            return ("lit", json.loads(m[0]))
        name = self.ident()
        if name in ("true", "false", "null"):
            return ("lit", json.loads(name))
        if name != "API":
            return ("ref", name)
        self.expect(".")
        method = f"{self.ident()}."
        self.expect(".")
        method += self.ident()
        self.expect("(")
        arg = None if self.take(")") else self.expr()
        if arg is not None:
            self.expect(")")
        return ("call", method, arg)

    def member(self) -> tuple[str, tuple]:
        self.skip()
        key = self.expr()[1] if self.s.startswith('"', self.i) else self.ident()
        self.expect(":")
        return key, self.expr()

    def items(self, close: str, item: Callable[[], Any]) -> list:
        out: list = []
        if self.take(close):
            return out
        while True:
            out.append(item())
            if self.take(close):
                return out
            self.expect(",")


def parse(code: str) -> list[tuple]:
    """The program's statements; CompileError for anything outside the subset."""
    return _Parser(code).program()


def calls_in(program: list[tuple]) -> Iterator[tuple[str, dict]]:
    """(method, literal arguments) of every API call written in the program, in order."""
    def walk(node: Any) -> Iterator[tuple[str, dict]]:
        if isinstance(node, tuple) and node and node[0] == "call":
            arg = node[2]
            yield node[1], literal(arg) if arg is not None and arg[0] == "object" else {}
        elif isinstance(node, tuple | list):
            for child in node:
                yield from walk(child)

    yield from walk(program)


def literal(node: tuple) -> Any:
    """The value of a node made only of literals (None where it refers to anything else)."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "array":
        return [literal(n) for n in node[1]]
    if kind == "object":
        return {k: literal(v) for k, v in node[1]}
    return None


def run(program: list[tuple], call: Callable[[str, dict], Any]) -> Any:
    """Run; ``call(method, args)`` does one API call (returning ``False`` when it failed)."""
    env: dict[str, Any] = {}
    made = 0

    def value(node: tuple) -> Any:
        nonlocal made
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ref":
            if node[1] not in env:
                raise ScriptError(f"undefined variable {node[1]}")
            return env[node[1]]
        if kind == "not":
            return not truthy(value(node[1]))
        if kind == "add":
            return add(value(node[1]), value(node[2]))
        if kind == "item":
            return item(value(node[1]), value(node[2]))
        if kind == "array":
            return [value(n) for n in node[1]]
        if kind == "object":
            return {k: value(v) for k, v in node[1]}
        made += 1
        if made > MAX_CALLS:
            raise ScriptError("Too many API calls")
        args = value(node[2]) if node[2] is not None else {}
        if not isinstance(args, dict):
            raise ScriptError(f"{node[1]}: arguments must be an object")
        return call(node[1], args)

    def execute(statements: list[tuple]) -> None:
        for st in statements:
            if st[0] == "var":
                env[st[1]] = value(st[2])
            elif st[0] == "set":
                if st[1] not in env:
                    raise ScriptError(f"undefined variable {st[1]}")
                env[st[1]] = value(st[2])
            elif st[0] == "return":
                raise _Return(value(st[1]))
            elif truthy(value(st[1])):
                execute(st[2])

    try:
        execute(program)
    except _Return as answer:
        return answer.value
    return None


def _number(v: Any) -> bool:
    return type(v) in (int, float)


def _text(v: Any) -> str:
    """A number or text as JavaScript writes it when joining (1.0 -> "1")."""
    return str(int(v)) if type(v) is float and v.is_integer() else str(v)


def add(a: Any, b: Any) -> Any:
    """JavaScript's ``+`` on text and numbers; anything else is an error here (stricter than VK)."""
    if isinstance(a, str) and (isinstance(b, str) or _number(b)) or isinstance(b, str) and _number(a):
        return _text(a) + _text(b)
    if _number(a) and _number(b):
        return a + b
    raise ScriptError(f"cannot add {type(a).__name__} and {type(b).__name__}")


def item(container: Any, key: Any) -> Any:
    """``container[key]`` / ``container.key``: null when the member or item is missing (JavaScript's
    undefined); reading from anything but an object or array is an error here."""
    if isinstance(container, dict) and isinstance(key, str | int) and not isinstance(key, bool):
        return container.get(str(key))
    if isinstance(container, list) and type(key) is int:
        return container[key] if 0 <= key < len(container) else None
    raise ScriptError(f"cannot read {key!r} of {type(container).__name__}")


def truthy(v: Any) -> bool:
    """JavaScript's truth: false, null, 0 and "" are false; arrays and objects are true."""
    return not (v is None or v is False or v == "" or (type(v) in (int, float) and v == 0))


def form_value(v: Any) -> str:
    """An argument as VK receives it in a form: numbers as text, booleans 1/0, arrays comma-joined."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, list):
        return ",".join(form_value(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v)
