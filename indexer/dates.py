"""Parse the date formats news dumps use into naive UTC datetimes."""

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


def parse_date(value):
    """Return ``value`` as a naive UTC :class:`datetime`, or raise ValueError.

    Understands ISO 8601 (``2015-07-21``, ``2015-07-21T10:00:00Z``,
    ``2015-07-21T10:00:00+03:00``), ``YYYY-MM-DD hh:mm:ss`` and RFC 2822
    (``Sun, 18 Feb 2018 21:35:43 +0400``).  Times with an offset are moved to
    UTC; times without one are taken as they are.

    >>> parse_date("Sun, 18 Feb 2018 21:35:43 +0400")
    datetime.datetime(2018, 2, 18, 17, 35, 43)
    >>> parse_date("2015-07-21 16:32:29")
    datetime.datetime(2015, 7, 21, 16, 32, 29)
    """
    try:
        return _parse(value)
    except (OverflowError, OSError) as e:
        # A timestamp or offset past what datetime holds (1e20, year 1 at
        # +05:00): the platform says so in its own words, the caller wants
        # a ValueError like any other unreadable date.
        raise ValueError(f"date out of range ({str(value)[:40]!r}: {e})") from None


def _parse(value):
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty date")
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError, OverflowError):
                raise ValueError(f"unrecognised date {text[:40]!r}") from None
    else:
        raise ValueError(f"a date must be text, got {type(value).__name__}")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed
