"""Calling a Dash callback over HTTP as the browser's renderer does: the body is built from the
app's callback map, so a test names a callback by its output and gives the values it needs."""

from __future__ import annotations

import json
from typing import Any


def _id(raw: str) -> Any:
    return json.loads(raw) if raw.startswith("{") else raw


def outputs_of(output: str) -> list[dict]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [{"id": _id(i), "property": p} for i, p in (part.rsplit(".", 1) for part in parts)]


def callback_body(
    app, output: str, values: dict[str, Any] | None = None, triggered: str | list[str] | None = None
) -> dict:
    """The request body for the callback writing `output` (a key of app.callback_map).
    `values` maps "id.property" to a value; a pattern-matching input takes a list of
    {"id": {...}, "property": ..., "value": ...} items as its value. `triggered`: the input
    that changed ("id.property"), or several that changed together."""
    entry = app.callback_map[output]
    values = values or {}

    def item(spec: dict) -> Any:
        key = f"{spec['id']}.{spec['property']}"
        value = values.get(key)
        if spec["id"].startswith("{") and isinstance(value, list):
            return value
        return {"id": _id(spec["id"]), "property": spec["property"], "value": value}

    outputs = outputs_of(output)
    inputs = [item(s) for s in entry["inputs"]]
    first = inputs[0] if inputs and isinstance(inputs[0], dict) else None
    changed = triggered or (f"{first['id']}.{first['property']}" if first else "")
    changed_ids = changed if isinstance(changed, list) else [changed] if changed else []
    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": [item(s) for s in entry["state"]],
        "changedPropIds": changed_ids,
    }


def output_named(app, prefix: str) -> str:
    """The callback-map key equal to `prefix`, or else the one key that contains it."""
    if prefix in app.callback_map:
        return prefix
    matches = [key for key in app.callback_map if prefix in key]
    assert len(matches) == 1, (prefix, matches)
    return matches[0]


def call(client, csrf: str | None, app, output: str, values=None, triggered=None):
    headers = {"X-CSRFToken": csrf} if csrf else {}
    return client.post(
        "/_dash-update-component", json=callback_body(app, output, values, triggered), headers=headers
    )


def callback_key_named(app, function_name: str) -> str:
    """The callback-map key (the body's "output") of the one callback whose function is `function_name`."""
    keys = [
        key
        for key, entry in app.callback_map.items()
        if getattr(entry.get("callback"), "__name__", "") == function_name
    ]
    assert len(keys) == 1, (function_name, keys)
    return keys[0]


PAGES_ROUTER = ".._pages_content.children..._pages_store.data.."


def router_response(session, path: str, search: str = "", lang: str = "en"):
    """The router's answer for `path` + `search` (what a link or a shared URL opens), as the
    browser's renderer asks for it: the raw response, for a test of a refusal."""
    client, csrf = session
    body = {
        "output": PAGES_ROUTER,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
            {"id": "shell-lang", "property": "value", "value": lang},
        ],
        "changedPropIds": ["_pages_location.search"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})


def router_page(session, path: str, search: str = "", lang: str = "en"):
    """The page the router draws for `path` + `search` (asserting it answered 200)."""
    response = router_response(session, path, search, lang)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]
