"""`flask --app app cases …`: bringing cases in from other systems (Open311 GeoReport v2, a
hotline's or grid system's CSV export) through the one import service, services/case_import.py."""

from __future__ import annotations

from flask.cli import AppGroup

cases_cli = AppGroup("cases", help="Cases: import from Open311 and CSV exports of other systems.")
