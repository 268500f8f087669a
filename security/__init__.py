"""Who may do what: login and sessions, roles and department scoping, API tokens, security
headers and the append-only audit log. Used by the app, pages and services; uses only the
store, domain and config (DESIGN.md)."""
