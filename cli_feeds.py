"""Commands of the sensor feeds: `flask --app app worker` (the feed worker in the foreground) and
`flask --app app demo publish` (the demo park's simulated sensors published over MQTT as SenML,
so the production path — broker, mqtt source, worker — can be shown end to end)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import click
import paho.mqtt.client as mqtt
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from data_sources.adapters.demo_feed import read_sensors, senml_packs
from demo.live_feed import ParkFeed
from live.worker import FeedWorker, feed_sources
from services.context import get_services

demo_cli = AppGroup("demo", help="The demo park's live feed.")


@click.command("worker")
@click.option(
    "--tick-s", type=click.FloatRange(min=1), default=10.0, show_default=True, help="Seconds per round."
)
@with_appcontext
def worker_command(tick_s: float) -> None:
    """Run the feed worker in the foreground until interrupted: listen to the sources that push
    readings, store them, raise alerts, keep the store bounded. Of several workers, the one
    holding the lease works; the others wait to take over."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = get_services()
    server = current_app._get_current_object()  # type: ignore[attr-defined]
    names = list(feed_sources(server))
    if not names:
        raise click.ClickException(f"no source in {services.settings.sources_file} pushes readings")
    click.echo(f"feed worker: listening to {', '.join(names)}; Ctrl-C stops it")
    worker = FeedWorker(server, tick_s=tick_s)
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.close()
    finally:
        for name, counts in worker.counts.items():
            click.echo(
                f"{name}: received {counts.received}, stored {counts.stored}, duplicates {counts.duplicates}"
            )


@demo_cli.command("publish")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=1883, show_default=True)
@click.option("--topic", default="park/sensors/demo", show_default=True)
@click.option("--seed", type=int, default=None, help="The simulation's seed (default: demo_seed).")
@click.option("--catch-up-min", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--tick-s", type=click.FloatRange(min=0.1), default=5.0, show_default=True)
@click.option("--minutes", type=click.FloatRange(min=0), default=0.0, help="Stop after this long (0: never).")
@with_appcontext
def publish_command(
    host: str, port: int, topic: str, seed: int | None, catch_up_min: float, tick_s: float, minutes: float
) -> None:
    """Publish the demo park's simulated readings to an MQTT broker as SenML packs (QoS 1), every
    TICK_S the readings taken since; prints what it sent. Point an `mqtt` source at the topic."""
    services = get_services()
    sensors = read_sensors(services.settings.store_url, "demo publish")
    feed = ParkFeed(
        sensors, seed=services.settings.demo_seed if seed is None else seed, zone=services.settings.zone
    )
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    try:
        client.connect(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot connect to mqtt://{host}:{port}: {exc}") from None
    client.loop_start()
    last = datetime.now(UTC) - timedelta(minutes=catch_up_min)
    stop = time.monotonic() + minutes * 60 if minutes else None
    sent = packs = 0
    try:
        while stop is None or time.monotonic() < stop:
            now = datetime.now(UTC)
            readings = feed.readings(last, now)
            for payload in senml_packs(readings):
                client.publish(topic, payload, qos=1).wait_for_publish(timeout=30)
                packs += 1
            sent += len(readings)
            last = now
            click.echo(f"{now.isoformat(timespec='seconds')} sent {len(readings)} readings (total {sent})")
            time.sleep(tick_s)
    except KeyboardInterrupt:
        pass
    finally:
        client.disconnect()
        client.loop_stop()
        click.echo(f"sent: {sent} readings in {packs} packs to {topic}")
