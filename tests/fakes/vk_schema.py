"""(Re)generate ``vk_methods.json`` from the official VK API JSON schema.

Usage::

    python tests/fakes/vk_schema.py /work/shared/reference/vk-api-schema

The schema is https://github.com/VKCOM/vk-api-schema (one ``<section>/methods.json`` per API section).
The output is a compact table -- only the methods the bot uses -- that ``vk_server.FakeVK`` validates
requests against: for each method its parameters with name, type, required flag and the limits the
schema gives (maxLength, minimum, maximum, maxItems, enum, array item type); and the messages of the
error codes the fake answers (``errors.json``).

A few facts documented on dev.vk.com are missing from the schema; they are added here, marked with
``"source": "docs"`` so they are easy to tell apart.  The generated JSON is committed so the test suite
runs from a plain clone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

METHODS = [
    "groups.getLongPollServer", "groups.getById", "groups.setLongPollSettings",
    "groups.getCallbackConfirmationCode",
    "messages.send", "messages.edit", "messages.sendMessageEventAnswer", "messages.getConversationsById",
    "photos.getMessagesUploadServer", "photos.saveMessagesPhoto",
    "docs.getMessagesUploadServer", "docs.save",
    "users.get", "execute",
]
# Errors the fake answers; their messages come from the schema's errors.json.
ERROR_CODES = [3, 5, 6, 8, 9, 10, 12, 13, 14, 15, 100, 901, 902, 911, 914]
LIMITS = ("maxLength", "minimum", "maximum", "maxItems", "enum")
# dev.vk.com facts the 5.199 schema does not carry.
REQUIRED_BY_DOCS = {"messages.send": ["random_id"]}  # "required since 5.90"
EXTRA_PARAMS_BY_DOCS = {
    # the schema names it ``cmid``; the documented (and widely used) name is conversation_message_id
    "messages.edit": [{"name": "conversation_message_id", "type": "integer", "required": False, "minimum": 0}],
    # the schema lists execute without parameters; dev.vk.com: code (VKScript, required), func_v
    "execute": [{"name": "code", "type": "string", "required": True},
                {"name": "func_v", "type": "integer", "required": False, "minimum": 1}],
}
OUT = Path(__file__).with_name("vk_methods.json")


def _param(p: dict) -> dict:
    out = {"name": p["name"], "type": p["type"], "required": bool(p.get("required", False))}
    out.update({k: p[k] for k in LIMITS if k in p})
    if p.get("type") == "array" and isinstance(p.get("items"), dict) and "type" in p["items"]:
        out["items"] = p["items"]["type"]
    return out


def build(schema_dir: Path) -> dict:
    table: dict[str, list[dict]] = {}
    for name in METHODS:
        section = json.loads((schema_dir / name.split(".")[0] / "methods.json").read_text(encoding="utf-8"))
        found = [m for m in section["methods"] if m["name"] == name]
        if not found:
            raise SystemExit(f"not in schema: {name}")
        params = [_param(p) for p in found[0].get("parameters", [])]
        for p in params:
            if p["name"] in REQUIRED_BY_DOCS.get(name, []):
                p["required"], p["source"] = True, "docs"
        params += [dict(p, source="docs") for p in EXTRA_PARAMS_BY_DOCS.get(name, [])]
        table[name] = params
    version = None
    pkg = schema_dir / "SOURCE.md"
    if pkg.exists():
        for line in pkg.read_text(encoding="utf-8").splitlines():
            if "tag v" in line:
                version = line.split("tag ", 1)[1].split()[0].strip(",")
    codes = {e["code"]: e["description"] for e in
             json.loads((schema_dir / "errors.json").read_text(encoding="utf-8"))["errors"].values()}
    errors = {str(code): codes[code] for code in ERROR_CODES}
    return {"schema": "VKCOM/vk-api-schema", "version": version, "methods": table, "errors": errors}


def dump(table: dict) -> str:
    """JSON with one line per parameter: small diffs when the schema changes."""
    lines = ["{", f' "schema": {json.dumps(table["schema"])},', f' "version": {json.dumps(table["version"])},',
             ' "methods": {']
    items = list(table["methods"].items())
    for i, (name, params) in enumerate(items):
        body = ",\n".join("   " + json.dumps(p, ensure_ascii=False) for p in params)
        tail = "," if i < len(items) - 1 else ""
        lines.append(f'  "{name}": [\n{body}\n  ]{tail}' if params else f'  "{name}": []{tail}')
    lines += [" },", ' "errors": {']
    lines.append(",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in table["errors"].items()))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    table = build(Path(argv[1]))
    text = dump(table)
    assert json.loads(text) == table
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({table['version']}, {len(METHODS)} methods)")


if __name__ == "__main__":
    main(sys.argv)
