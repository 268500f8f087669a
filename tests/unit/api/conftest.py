"""One app for the JSON API and Open311 modules: a small demo park built once for this
directory, its store, its cases, a signed-in client per role and API tokens."""

from __future__ import annotations

import pandas as pd
import pytest
from api_checks import OWN
from apps import build_app
from signin import signed_in

from security import tokens


@pytest.fixture(scope="package")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("api"), demo_cases=800)


@pytest.fixture(scope="package")
def engine(app):
    return app.server.extensions["onescreen"].engine


@pytest.fixture(scope="package")
def cases(app) -> pd.DataFrame:
    with app.server.app_context():
        from services.data import snapshot

        return snapshot("cases").frame


@pytest.fixture(scope="package")
def clients(app):
    return {
        role: signed_in(app, role)[0]
        for role in ("leader", "department_head", "duty_officer", "viewer", "admin")
    }


@pytest.fixture(scope="package")
def leader_token(engine):
    return tokens.issue(engine, "portal-x", "leader", actor="admin")[0]


@pytest.fixture(scope="package")
def head_token(engine):
    return tokens.issue(engine, "portal-dept", "department_head", actor="admin", department=OWN)[0]
