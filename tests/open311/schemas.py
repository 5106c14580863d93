"""JSON Schemas for GeoReport v2 responses, written from the spec's field tables (wiki.open311.org/GeoReport_v2)."""

from __future__ import annotations

import jsonschema

# W3C date-time with an explicit zone (the spec's examples: 2010-04-14T06:37:38-08:00)
W3C = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"}
TEXT = {"type": "string"}
MAYBE_TEXT = {"type": ["string", "null"]}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties),
            "additionalProperties": False}


DISCOVERY = _obj({
    "changeset": W3C, "contact": TEXT, "key_service": TEXT,
    "endpoints": {"type": "array", "minItems": 1, "items": _obj({
        "specification": TEXT, "url": {"type": "string", "pattern": "^https?://"}, "changeset": W3C,
        "type": {"enum": ["production", "test"]},
        "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}}})},
})

SERVICES = {"type": "array", "items": _obj({
    "service_code": TEXT, "service_name": TEXT, "description": TEXT, "metadata": {"type": "boolean"},
    "type": {"enum": ["realtime", "batch", "blackbox"]}, "keywords": TEXT, "group": TEXT})}

REQUEST = _obj({
    "service_request_id": TEXT,
    "status": {"enum": ["open", "closed"]},
    "status_notes": MAYBE_TEXT,
    "service_name": TEXT,
    "service_code": TEXT,
    "description": {"type": ["string", "null"], "maxLength": 4000},
    "agency_responsible": MAYBE_TEXT,
    "service_notice": MAYBE_TEXT,
    "requested_datetime": W3C,
    "updated_datetime": {"anyOf": [W3C, {"type": "null"}]},
    "expected_datetime": {"anyOf": [W3C, {"type": "null"}]},
    "address": MAYBE_TEXT,
    "address_id": MAYBE_TEXT,
    "zipcode": MAYBE_TEXT,
    "lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
    "long": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
    "media_url": {"anyOf": [{"type": "string", "pattern": "^https?://"}, {"type": "null"}]},
    "supporters": {"type": "integer", "minimum": 0},  # our extension
}, required=["service_request_id", "status", "service_code", "requested_datetime"])
REQUESTS = {"type": "array", "maxItems": 1000, "items": REQUEST}

POSTED = {"type": "array", "minItems": 1, "items": {
    "type": "object", "additionalProperties": False,
    "properties": {"service_request_id": TEXT, "token": TEXT, "service_notice": MAYBE_TEXT,
                   "account_id": MAYBE_TEXT},
    "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}]}}

TOKEN = {"type": "array", "minItems": 1, "items": _obj({"service_request_id": MAYBE_TEXT, "token": TEXT},
                                                        required=["token"])}

ERRORS = {"type": "array", "minItems": 1, "items": _obj({"code": {"type": "integer"}, "description": TEXT})}


def check(instance, schema) -> None:
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)
