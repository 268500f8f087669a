"""Settings and declarative configuration (sources, KPI specs, case catalogue, screen layouts)."""
