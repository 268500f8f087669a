"""Open311 GeoReport v2 formats for api/open311.py and api/open311_report.py: the XML rendering
(<root><item><field/>…</item></root>, UTF-8 with its declaration, characters XML 1.0 cannot hold
replaced), the request's format read from its path, and the error list's schema."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import marshmallow as ma
from flask import Response, request

XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot hold even escaped (controls, lone surrogates): replaced, so a
# resident's stray control character never makes the document unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def wants_xml() -> bool:
    return (request.view_args or {}).get("format") == "xml"


def _xml_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def xml_list(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    """GeoReport's XML: <root><item><field>value</field>…</item>…</root>, UTF-8 with its
    declaration. ElementTree escapes the text (&, <, >), so markup in a description stays text."""
    document = ET.Element(root)
    for row in rows:
        element = ET.SubElement(document, item)
        for name, value in row.items():
            ET.SubElement(element, name).text = _xml_text(value)
    return (XML_DECLARATION + ET.tostring(document, encoding="unicode")).encode("utf-8")


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=XML_TYPE)


class GeoReportErrorSchema(ma.Schema):
    code = ma.fields.Integer(required=True)
    description = ma.fields.String(required=True)


XML_CONTENT = {"text/xml": {"schema": {"type": "string", "description": "the same fields as elements"}}}
