"""Fuzzing the JSON API and the Open311 endpoints from their own OpenAPI document (schemathesis):
no request, valid or not, may answer a 500, a status the document does not declare, or a body,
content type or header the document does not describe.

In-process on the Flask server (schemathesis' WSGI transport), on a small demo park private to
this module, so writes (case and alert steps, Open311 reports) are allowed. Bounded for CI:
FUZZ_EXAMPLES examples per operation for valid and for invalid input (default 5), seeded
(FUZZ_SEED), a deadline per request, no shrinking. A finding gets a plain regression test of
its own, so it stays covered whatever this draw picks.

schemathesis' pytest loader (`schemathesis.pytest.from_fixture` with `@schema.parametrize()`)
fails on pytest 9 (it writes `Function._nodeid`, which pytest 9 no longer has), so operations
are fuzzed through its Python API: each operation's Hypothesis strategy and
`case.call_and_validate` with the checks below."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from apps import build_app
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from signin import sign_in

from security import tokens, users
from security.session import SESSION_COOKIE

NEGATIVE = GenerationMode.NEGATIVE
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "14"))
PASSWORD = "seven rivers meet at dawn 14"  # noqa: S105 - a test user's password in a private store
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
# schemathesis' WSGI transport reads a body as sent, undecoded: ask for it uncompressed
# (Flask-Compress answers br or gzip to the Accept-Encoding it sends by default).
PLAIN = {"Accept-Encoding": "identity"}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    # catches a hang, not a loaded machine: at a load average of 10 on 2 cores a map layers read
    # for a department not asked for before took 7 s (before the park-wide layers were shared)
    deadline=timedelta(seconds=20),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing request is reported as drawn
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=list(HealthCheck),  # the app, not the generator, is under test
)
# Path parameter -> where a few of the park's real values are listed (the list's key, each
# item's field): generated ids reach only the 404s, real ones the reads and writes behind them.
LISTED = {
    "case_id": ("/api/v1/cases?limit=5", "items", "id"),
    "service_request_id": ("/api/v1/cases?limit=5", "items", "id"),
    "alert_id": ("/api/v1/alerts?limit=5", "items", "id"),
    "chain": ("/api/v1/chains", "chains", "chain"),
    "enterprise_id": ("/api/v1/enterprises?limit=5", "enterprises", "id"),
    "kpi_id": ("/api/v1/kpis", "kpis", "id"),
    "layer_id": ("/api/v1/map/layers", "layers", "id"),
    "policy_id": ("/api/v1/policies", "policies", "id"),
}
# A step's `version` must be its record's current one, or it answers 409 before its rules are
# read: valid input for a step sends the version read here just before.
VERSION_OF = {
    "/api/v1/cases/{case_id}/transitions": "/api/v1/cases/{case_id}/timeline",
    "/api/v1/alerts/{alert_id}/transitions": "/api/v1/alerts/{alert_id}",
}


def token_call(app, role: str) -> dict[str, Any]:
    """The request arguments of a new API token of `role` (tokens are never issued for admin)."""
    token, _ = tokens.issue(app.server.extensions["onescreen"].engine, f"fuzz-{role}", role, actor="test")
    return {"headers": {**PLAIN, "Authorization": f"Bearer {token}"}}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """A small demo park of its own, with a user holding every role a person may hold at once
    (admin, leader, duty officer: every API permission but reporting)."""
    app = build_app(tmp_path_factory.mktemp("fuzz"), demo_cases=300)
    engine = app.server.extensions["onescreen"].engine
    users.create_user(engine, "prober", ["admin", "leader", "duty_officer"], password=PASSWORD, actor="test")
    # The first map layers' read draws and caches every layer of the park (8 s on a loaded
    # machine): done before the fuzz, so the deadline times a request, not the park's first read.
    warm = app.server.test_client().get("/api/v1/map/layers", headers=token_call(app, "leader")["headers"])
    assert warm.status_code == 200, warm.get_data(as_text=True)
    return app


@pytest.fixture(scope="module")
def operations(fuzz_app):
    """The operations of the document the app serves (read through the app: any principal may)."""
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", fuzz_app.server, **token_call(fuzz_app, "viewer")
    )
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture(scope="module")
def real_ids(fuzz_app) -> dict[str, list[str]]:
    """A few real values of each path parameter, listed through the API by a duty officer
    (`link`: the links of the first chain, which `chain` then names alone)."""
    client = fuzz_app.server.test_client()
    headers = token_call(fuzz_app, "duty_officer")["headers"]
    found: dict[str, list[str]] = {}
    for name, (path, key, item_field) in LISTED.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        found[name] = [item[item_field] for item in response.get_json()[key]][:5]
        assert found[name], f"the park has no {name} to fuzz with"
    found["chain"] = found["chain"][:1]
    links = client.get(f"/api/v1/chains/{found['chain'][0]}", headers=headers).get_json()["links"]
    found["link"] = [link["link"] for link in links][:5]
    found["format"] = ["json", "xml"]
    return found


@pytest.fixture(scope="module")
def session_call(fuzz_app) -> dict[str, Any]:
    """The `prober` user's signed-in session: its cookie, and its CSRF token (the API takes a
    session's writes only with it)."""
    client = fuzz_app.server.test_client()
    csrf = sign_in(client, "prober", PASSWORD)
    cookie = client.get_cookie(SESSION_COOKIE).value
    return {"cookies": {SESSION_COOKIE: cookie}, "headers": {**PLAIN, "X-CSRFToken": csrf}}


def with_real_ids(operation, real_ids: dict[str, list[str]]):
    """Valid input for `operation` whose path parameters are real values, or None when it has
    none (or one without real values)."""
    names = [p.name for p in operation.path_parameters]
    if not names or not all(name in real_ids for name in names):
        return None
    values = st.fixed_dictionaries({name: st.sampled_from(real_ids[name]) for name in names})
    return values.flatmap(lambda given: operation.as_strategy(path_parameters=given))


def with_current_version(case, call: dict[str, Any]) -> None:
    """Set a step's `version` to its record's current one (read as the caller)."""
    source = VERSION_OF.get(case.operation.path)
    if source is None or not isinstance(case.body, dict) or not case.path_parameters:
        return
    client = case.operation.app.test_client()
    for name, value in call.get("cookies", {}).items():
        client.set_cookie(name, value)
    read = client.get(source.format(**case.path_parameters), headers=call["headers"])
    if read.status_code == 200:
        case.body = {**case.body, "version": read.get_json()["version"]}


def described(exc: BaseException) -> str:
    """The exception's message with those it groups (schemathesis groups the checks that failed
    on one response; Hypothesis wraps a failure that did not fail again)."""
    return "\n".join(
        [f"{type(exc).__name__}: {exc}", *(described(e) for e in getattr(exc, "exceptions", ()))]
    )


@dataclass
class Run:
    """What one pass sent and saw."""

    requests: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    started: float = field(default_factory=time.monotonic)

    def summary(self, who: str, operations: list) -> str:
        took = time.monotonic() - self.started
        return f"fuzz as {who}: {len(operations)} operations, {self.requests} requests, {took:.1f} s"


def fuzz(operations, call: dict[str, Any], real_ids: dict[str, list[str]]) -> Run:
    """Fuzz each operation with valid input (real path parameters where it has some), then with
    invalid input, EXAMPLES examples each; every operation whatever the others found. A failure
    is one entry: the operation, the input, and schemathesis' message with the request."""
    run = Run()
    for operation in operations:
        real = with_real_ids(operation, real_ids)
        valid = operation.as_strategy() if real is None else real
        for kind, strategy in (
            ("valid", valid),
            ("invalid", operation.as_strategy(generation_mode=NEGATIVE)),
        ):
            try:
                fuzz_with(strategy, call, run, current_versions=kind == "valid")
            except (Exception, BaseExceptionGroup) as exc:  # failed checks, or an error raised in-process
                run.failures.append(f"{operation.label} [{kind} input]: {described(exc)}")
    return run


def fuzz_with(strategy, call: dict[str, Any], run: Run, *, current_versions: bool) -> None:
    """Send EXAMPLES cases of `strategy` and check each answer; raises on the first failure."""

    @FUZZ_SETTINGS
    @seed(SEED)
    @given(case=strategy)
    def check(case):
        run.requests += 1
        if current_versions:
            with_current_version(case, call)
        response = case.call_and_validate(**call, checks=CHECKS)
        run.statuses[case.operation.label].add(response.status_code)

    check()


def test_api_as_a_user_holding_every_role(operations, real_ids, session_call):
    run = fuzz(operations, session_call, real_ids)
    print("\n" + run.summary("a user holding every role", operations))
    assert not run.failures, f"{len(run.failures)} failure(s):\n\n" + "\n\n".join(run.failures)
    # it went past the guard: this user may read everything, so no read was refused
    refused = [label for label, seen in run.statuses.items() if label.startswith("GET") and seen & {401, 403}]
    assert not refused, refused


def test_api_as_a_viewer_token(fuzz_app, operations, real_ids):
    """A viewer reads screens' figures only: records, steps, exports and the audit log answer 403."""
    run = fuzz(operations, token_call(fuzz_app, "viewer"), real_ids)
    print("\n" + run.summary("a viewer token", operations))
    assert not run.failures, f"{len(run.failures)} failure(s):\n\n" + "\n\n".join(run.failures)
    assert 403 in run.statuses["GET /api/v1/cases"] and 403 in run.statuses["GET /api/v1/audit"]


def test_open311_reports_as_a_reporter_token(fuzz_app, operations, real_ids):
    """The one operation a citizen app's token may use (the user above holds no `report`)."""
    reports = [op for op in operations if op.method.upper() == "POST" and op.path.startswith("/open311/")]
    assert reports
    run = fuzz(reports, token_call(fuzz_app, "reporter"), real_ids)
    print("\n" + run.summary("a reporter token", reports))
    assert not run.failures, f"{len(run.failures)} failure(s):\n\n" + "\n\n".join(run.failures)
