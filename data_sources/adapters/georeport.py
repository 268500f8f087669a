"""GeoReport v2 (Open311) documents: reading their XML safely and their values as text, shared
by the Open311 adapter (data_sources/adapters/open311.py) and its error messages."""

from __future__ import annotations

import json
from typing import Any

import defusedxml.ElementTree as SafeET


def safe_xml(body: bytes) -> Any:
    """The root element; raises defusedxml's DTDForbidden, EntitiesForbidden or
    ExternalReferenceForbidden, or ParseError."""
    return SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def text_of(value: Any) -> str | None:
    """A JSON or XML value as stripped text; empty is missing (Toronto sends <updated_datetime/>)."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def coordinate_of(value: Any) -> Any:
    """Coordinates as they came (the validator converts and range-checks them); empty is missing."""
    return text_of(value) if isinstance(value, str) else value


def is_zero(value: Any) -> bool:
    try:
        return float(value) == 0.0
    except (TypeError, ValueError):
        return False


def error_text(body: bytes) -> str:
    """The descriptions of a GeoReport v2 error response (JSON or XML), or ''."""
    descriptions: list[str] = []
    try:
        if body.lstrip()[:1] == b"<":
            root = safe_xml(body)
            descriptions = [(e.findtext("description") or "").strip() for e in root.iter("error")]
        else:
            document = json.loads(body)
            if isinstance(document, list):
                descriptions = [str(e.get("description", "")) for e in document if isinstance(e, dict)]
    except (SafeET.ParseError, ValueError):  # defusedxml's refusals are ValueErrors
        return ""
    return "; ".join(d for d in descriptions if d)[:300]
