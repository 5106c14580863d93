"""Open311 responses in XML (the spec's element names) or JSON, and errors as the spec's {code, description} list."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from aiohttp import web

CONTENT_TYPES = {"xml": "text/xml", "json": "application/json"}
# A list under one of these keys repeats the named child element (the spec's nesting).
CHILD = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, data: Any) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            child = ET.SubElement(parent, key)
            if isinstance(value, list):
                for item in value:
                    _fill(ET.SubElement(child, CHILD.get(key, "item")), item)
            else:
                _fill(child, value)
    else:
        parent.text = _scalar(data)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """`data` is a list of `item` elements under `root`, or (item None) the root's own fields."""
    top = ET.Element(root)
    if item is None:
        _fill(top, data)
    else:
        for entry in data:
            _fill(ET.SubElement(top, item), entry)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root: str, item: str | None, data: Any, status: int = 200,
            headers: dict[str, str] | None = None) -> web.Response:
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode()
    else:
        body = to_xml(root, item, data)
    return web.Response(body=body, status=status, content_type=CONTENT_TYPES[fmt], charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff", **(headers or {})})


def error(fmt: str, status: int, description: str, headers: dict[str, str] | None = None) -> web.Response:
    return respond(fmt, "errors", "error", [{"code": status, "description": description}], status, headers)
