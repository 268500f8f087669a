"""Sensor feed payloads turned into readings: SenML JSON (RFC 8428, `senml`), a mapped plain-JSON
format for simple devices (`plain_json`) and the intake checks every reading passes (`intake`).

Pure Python: no driver, no Dash, no I/O; the feed adapters (MQTT, later Redis Streams) call
`intake.decode_payload` on each message they receive."""
