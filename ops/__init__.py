"""Operations: liveness and readiness probes, Prometheus metrics, request ids and structured logs
(README: "Operations: health, readiness, metrics and logs"). ops/setup.init_ops wires them into
the app. Kept free of imports: gunicorn's master imports ops.multiproc before any worker may
import prometheus_client."""
