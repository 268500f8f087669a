"""The sign-in page with tampered parameters: whatever arrives in ?lang= and ?next= is shown as
text or dropped, never as markup, and a forged next address never leaves the app."""

from __future__ import annotations

import re

import pytest
from apps import build_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("login-page"), seed=False, demo_cases=0)
    return app.server.test_client()


@pytest.mark.parametrize(
    "query",
    [
        "lang=<script>alert(1)</script>",
        'next="><script>alert(1)</script>',
        "next=javascript:alert(1)",
        "lang=en&lang=zh&next=/a&next=//evil.example",
        "expired=<img src=x onerror=alert(1)>",
    ],
)
def test_tampered_parameters_never_become_markup(client, query):
    response = client.get(f"/login?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page and "onerror=" not in page and "javascript:" not in page
    hidden_next = re.search(r'name="next" value="([^"]*)"', page).group(1)
    assert hidden_next.startswith("/") and not hidden_next.startswith("//")


def test_an_unknown_language_falls_back_to_a_known_one(client):
    page = client.get("/login?lang=fr").get_data(as_text=True)
    assert '<html class="os-plain" lang="zh-CN"' in page
