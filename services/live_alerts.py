"""What a page needs to join the live alert stream: the newest sequence number it is drawn with
(the stream sends what happens after it), read from the store."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from services.context import get_services
from store.alert_feed import newest_seq

log = logging.getLogger(__name__)


def newest_alert_seq() -> int | None:
    """The newest alert event's sequence number (0: none yet); None when the store cannot be
    read (the page then joins the stream from the moment it connects, and says nothing worse)."""
    try:
        with get_services().engine.connect() as connection:
            return newest_seq(connection)
    except SQLAlchemyError as exc:
        log.warning("cannot read the newest alert event for a page's live stream: %s", exc)
        return None
