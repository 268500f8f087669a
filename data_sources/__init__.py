"""Sources are plugins: the contracts adapters produce, the adapter interface, the registry
that finds adapters (built-in and third-party, through the `onescreen.data_sources` entry-point
group) and the monitor that keeps each source's health.

Nothing here imports Dash; nothing connects at import time."""
