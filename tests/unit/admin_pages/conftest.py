"""The admin pages' app, built once for every module here, and the administrator's session."""

from __future__ import annotations

import pytest
from apps import build_app
from signin import signed_in


@pytest.fixture(scope="package")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("admin"), demo_cases=300)


@pytest.fixture(scope="package")
def admin(app):
    """The demo administrator's test client and CSRF token."""
    return signed_in(app, "admin")
