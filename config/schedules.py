"""Schedule expressions and time zones, parsed as Application Auto Scaling parses them.

`PutScheduledAction` takes (botocore application-autoscaling `Schedule` documentation, and the
Application Auto Scaling User Guide, "Schedule recurring scaling actions using cron
expressions", which defers to EventBridge's "Cron expressions reference"):

- `at(yyyy-mm-ddThh:mm:ss)`: one time, a real calendar date and time;
- `rate(value unit)`: `value` a positive integer, `unit` minute | minutes | hour | hours | day |
  days; EventBridge's rule: the singular unit for 1, the plural for more;
- `cron(fields)`: six fields (minutes hours day-of-month month day-of-week year), and exactly
  one of day-of-month and day-of-week is `?` ("You can't specify the Day-of-month and
  Day-of-week fields in the same cron expression").

Time zones: "the canonical names of the IANA time zones supported by Joda-Time", read from the
checked-in `config/time_zones.txt` (tools/update_time_zones.py), never from the machine.
"""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path

TIME_ZONES_PATH = Path(__file__).with_name("time_zones.txt")
RATE_UNITS = ("minute", "hour", "day")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, lowest, highest, names) per cron field, in order.
CRON_FIELDS = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 1, 7, WEEKDAYS),
    ("year", 1970, 2199, ()),
)
_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)")
_RATE = re.compile(r"rate\((\S+) (\S+)\)")
_CRON = re.compile(r"cron\((.*)\)")
EXAMPLES = "cron(0 7 ? * MON-FRI *), rate(6 hours) or at(2026-12-24T18:00:00)"


@functools.cache
def time_zones() -> frozenset[str]:
    lines = TIME_ZONES_PATH.read_text().splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def describe_time_zone() -> str:
    return (
        f"one of the {len(time_zones())} IANA time zone ids Joda-Time knows (config/time_zones.txt)"
    )


def describe_schedule() -> str:
    return (
        "at(yyyy-mm-ddThh:mm:ss), rate(<n> minute(s)|hour(s)|day(s)) or a six-field cron(...) "
        "with `?` in exactly one of day-of-month and day-of-week, as Application Auto Scaling "
        "parses them"
    )


def time_zone_problem(value: str) -> str | None:
    if value in time_zones():
        return None
    import difflib

    close = difflib.get_close_matches(value, sorted(time_zones()), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"'{_short(value)}' is not an IANA time zone id Application Auto Scaling (Joda-Time) "
        f"knows{hint}; write e.g. UTC or Europe/Berlin"
    )


def schedule_problem(value: str) -> str | None:
    """What Application Auto Scaling would refuse in `value`, or None."""
    if value.startswith("at("):
        return _at_problem(value)
    if value.startswith("rate("):
        return _rate_problem(value)
    if value.startswith("cron("):
        return _cron_problem(value)
    return f"'{_short(value)}' is not a schedule expression; write e.g. {EXAMPLES}"


def _at_problem(value: str) -> str | None:
    match = _AT.fullmatch(value)
    if match is None:
        return (
            f"'{_short(value)}' is not at(yyyy-mm-ddThh:mm:ss); write e.g. at(2026-12-24T18:00:00)"
        )
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        return f"'{_short(value)}' is not a real date and time ({error})"
    return None


def _rate_problem(value: str) -> str | None:
    match = _RATE.fullmatch(value)
    if match is None or not match.group(1).isdigit():
        return f"'{_short(value)}' is not rate(<whole number> <unit>); write e.g. rate(6 hours)"
    count, unit = int(match.group(1)), match.group(2)
    if count < 1:
        return f"'{_short(value)}': the rate must be at least 1; write e.g. rate(1 day)"
    expected = RATE_UNITS if count == 1 else tuple(f"{u}s" for u in RATE_UNITS)
    if unit not in expected:
        return (
            f"'{_short(value)}': the unit of rate({count} ...) is one of {', '.join(expected)} "
            "(singular for 1, plural for more; no weeks or months: use cron)"
        )
    return None


def _cron_problem(value: str) -> str | None:
    match = _CRON.fullmatch(value)
    fields = match.group(1).split() if match else []
    if len(fields) != len(CRON_FIELDS):
        return (
            f"'{_short(value)}' has {len(fields)} cron fields; Application Auto Scaling takes 6 "
            "(minutes hours day-of-month month day-of-week year), e.g. cron(0 7 ? * MON-FRI *)"
        )
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return (
            f"'{_short(value)}': exactly one of day-of-month ({day_of_month}) and day-of-week "
            f"({day_of_week}) must be `?`; e.g. cron(0 7 ? * MON-FRI *) or cron(0 7 1 * ? *)"
        )
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        problem = _cron_field_problem(text, name, low, high, names)
        if problem is not None:
            return f"'{_short(value)}': {name} field '{_short(text, 30)}' {problem}"
    return None


def _cron_field_problem(
    text: str, name: str, low: int, high: int, names: tuple[str, ...]
) -> str | None:
    if text == "?":
        return None if name in ("day-of-month", "day-of-week") else "cannot be `?`"
    for item in text.split(","):
        if not _cron_item_ok(item.upper(), name, low, high, names):
            span = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
            return f"is not valid (values {span}, with `*`, `,`, `-`, `/`)"
    return None


def _cron_item_ok(item: str, name: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if name == "day-of-month" and re.fullmatch(r"L|LW|\d{1,2}W", item):
        return item in ("L", "LW") or low <= int(item[:-1]) <= high
    if name == "day-of-week" and re.fullmatch(r"\d(L|#[1-5])|[A-Z]{3}#[1-5]|L", item):
        return item == "L" or _value(
            item[:-1] if item.endswith("L") else item.split("#")[0], low, high, names
        )
    base, _, step = item.partition("/")
    if step and not (step.isdigit() and 1 <= int(step) <= high):
        return False
    if base == "*":
        return True
    start, _, end = base.partition("-")
    if not _value(start, low, high, names):
        return False
    return not end or _value(end, low, high, names)


def _value(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if text in names:
        return True
    return text.isdigit() and low <= int(text) <= high


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"
