"""The analysis window ``[start_time, end_time)`` on ``eventMetadata.inferenceTime`` (monitor Q11).

The service downloads whole ``yyyy/mm/dd/hh`` folders and "sometimes more than
what is specified by the start and end times" (BYOC contract), so the container
filters: an event is analysed iff ``start <= inferenceTime < end``.  Either end
may be open.  An event without an ``inferenceTime`` (merged batch records hold
none) is kept and counted; one whose time cannot be read is left out and counted.
Ground truth is never filtered by time: it is matched by id, and its folders are
named by upload hour, not inference hour (monitor contract §3.4).

Times are ISO 8601 (``2024-01-19T19:27:57Z``, fractions and offsets allowed); a
time without an offset is UTC.  Spaces are ignored, because the BYOC page's own
example writes ``2019-12-01T16: 20: 00Z``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import ConfigError

__all__ = ["Window", "parse_time"]


def parse_time(text: str) -> datetime | None:
    """``text`` as an aware UTC datetime, or ``None`` when it is not ISO 8601."""
    cleaned = "".join(str(text).split())
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class Window:
    """``[start, end)``; ``None`` leaves that end open."""

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_text(
        cls, start: str | None, end: str | None, where: tuple[str, str] = ("start_time", "end_time")
    ) -> Window:
        """The window from two ISO 8601 strings (empty or ``None``: open)."""
        bounds: list[datetime | None] = []
        for text, name in ((start, where[0]), (end, where[1])):
            if text is None or not str(text).strip():
                bounds.append(None)
                continue
            moment = parse_time(text)
            if moment is None:
                raise ConfigError(
                    name,
                    "is not an ISO 8601 time",
                    "write e.g. 2024-01-19T19:00:00Z",
                )
            bounds.append(moment)
        window = cls(bounds[0], bounds[1])
        if window.start is not None and window.end is not None and window.start >= window.end:
            raise ConfigError(
                where[0], f"must be before {where[1]} (the window [start, end) is empty)"
            )
        return window

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def contains(self, moment: datetime) -> bool:
        """``start <= moment < end``."""
        if self.start is not None and moment < self.start:
            return False
        return self.end is None or moment < self.end

    def describe(self) -> str:
        if not self.bounded:
            return "no time window (every event is analysed)"
        start = self.start.isoformat() if self.start else "-inf"
        end = self.end.isoformat() if self.end else "+inf"
        return f"window [{start}, {end}) on eventMetadata.inferenceTime"
