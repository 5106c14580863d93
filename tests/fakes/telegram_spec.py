"""(Re)generate ``telegram_methods.json`` from the official machine-readable Bot API spec.

Usage::

    python tests/fakes/telegram_spec.py /work/shared/reference/telegram-bot-api/api.json

The spec is https://github.com/PaulSonOfLars/telegram-bot-api-spec (``api.json``).  The output is a
compact table -- only the methods and object types the bot uses -- that ``telegram_server.FakeTelegram``
validates requests against.  The generated JSON is committed so the test suite runs from a plain clone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

METHODS = [
    "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
    "sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument", "sendChatAction",
    "editMessageText", "editMessageReplyMarkup", "editMessageCaption", "deleteMessage",
    "answerCallbackQuery", "getFile", "setMyCommands", "deleteMyCommands", "getMyCommands",
    "close", "logOut",
]
TYPES = [
    "InlineKeyboardMarkup", "InlineKeyboardButton", "ReplyKeyboardMarkup", "KeyboardButton",
    "ReplyKeyboardRemove", "ForceReply", "InputMediaPhoto", "InputMediaDocument", "InputMediaVideo",
    "BotCommand", "BotCommandScopeChat", "BotCommandScopeDefault", "LinkPreviewOptions",
    "ReplyParameters",
]
OUT = Path(__file__).with_name("telegram_methods.json")


def _fields(entry: dict) -> list[dict]:
    return [
        {"name": f["name"], "types": f["types"], "required": bool(f["required"])}
        for f in entry.get("fields", [])
    ]


def build(spec: dict) -> dict:
    missing = [m for m in METHODS if m not in spec["methods"]] + [t for t in TYPES if t not in spec["types"]]
    if missing:
        raise SystemExit(f"not in spec: {missing}")
    return {
        "version": spec.get("version"),
        "release_date": spec.get("release_date"),
        "methods": {m: _fields(spec["methods"][m]) for m in METHODS},
        "types": {t: _fields(spec["types"][t]) for t in TYPES},
    }


def dump(table: dict) -> str:
    """JSON with one line per parameter: small diffs when the spec changes."""
    lines = ["{", f' "version": {json.dumps(table["version"])},',
             f' "release_date": {json.dumps(table["release_date"])},']
    for section in ("methods", "types"):
        lines.append(f' "{section}": {{')
        items = list(table[section].items())
        for i, (name, fields) in enumerate(items):
            body = ",\n".join("   " + json.dumps(f, ensure_ascii=False) for f in fields)
            tail = "," if i < len(items) - 1 else ""
            lines.append(f'  "{name}": [\n{body}\n  ]{tail}' if fields else f'  "{name}": []{tail}')
        lines.append(" }," if section == "methods" else " }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    table = build(spec)
    text = dump(table)
    assert json.loads(text) == table
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({table['version']}, {len(METHODS)} methods, {len(TYPES)} types)")


if __name__ == "__main__":
    main(sys.argv)
