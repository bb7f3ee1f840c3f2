"""The database's RDS backup and maintenance windows, and the AWS Backup window they must avoid.

RDS API Reference, CreateDBInstance: PreferredBackupWindow is ``hh24:mi-hh24:mi``, in UTC, at least
30 minutes, and must not conflict with the maintenance window; PreferredMaintenanceWindow is
``ddd:hh24:mi-ddd:hh24:mi`` (ddd: mon, tue, wed, thu, fri, sat, sun), in UTC, at least 30
minutes, and must not conflict with the backup window. Without them RDS picks each at random from
an 8-hour block of the region (RDS User Guide, "Backup window"; us-east-1's block is 03:00-11:00 UTC,
where this project's AWS Backup rules start by default), so both are always set here.

Windows are handled as half-open minute ranges in one week (0 = Monday 00:00 UTC); a window that
crosses midnight, or Sunday night, wraps. The backup and maintenance windows must also not touch
(one ending where the other starts): moto's emulation of RDS's check counts that as an overlap
(moto/rds/utils.py), AWS's wording ("must not conflict") does not say, and a gap costs nothing.
"""

from __future__ import annotations

from config.checks import Pattern

DAY = 1440
WEEK = 7 * DAY
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_MINUTES = 30  # both windows, RDS API Reference (CreateDBInstance)
# RDS answers "Maintenance window must be less than 24 hours" beyond this (the message moto's RDS,
# moto/rds/utils.py valid_preferred_maintenance_window, reproduces).
MAX_MAINTENANCE_MINUTES = DAY

_TIME = r"([01][0-9]|2[0-3]):([0-5][0-9])"
_BACKUP = Pattern(rf"{_TIME}-{_TIME}")
_MAINTENANCE = Pattern(rf"(?i)({'|'.join(DAYS)}):{_TIME}-({'|'.join(DAYS)}):{_TIME}")

# Defaults, in minutes before the AWS Backup rules start (backup.start_hour_utc): the automated
# backup from 90 to 60 minutes before, the weekly maintenance from 150 to 120 minutes before on
# Sunday, so neither ever meets the other or a start window of AWS Backup (at most 720 minutes).
BACKUP_BEFORE = 90
MAINTENANCE_BEFORE = 150
MAINTENANCE_DAY = DAYS.index("sun")

Span = tuple[int, int]  # [start, start + length) in minutes of the week, start in [0, WEEK)


def backup_window_problem(value: str) -> str | None:
    match = _BACKUP.fullmatch(value)
    if not match:
        return '"hh:mm-hh:mm" in UTC (24-hour), e.g. "01:30-02:00"'
    if _length(_minutes(*match.groups()[:2]), _minutes(*match.groups()[2:]), DAY) < MIN_MINUTES:
        return f"a window of {MIN_MINUTES} minutes at least (RDS)"
    return None


def maintenance_window_problem(value: str) -> str | None:
    match = _MAINTENANCE.fullmatch(value)
    if not match:
        return '"ddd:hh:mm-ddd:hh:mm" in UTC, ddd one of mon, tue, wed, thu, fri, sat, sun, e.g. "sun:00:30-sun:01:00"'
    length = maintenance_span(value)[1]
    if length < MIN_MINUTES:
        return f"a window of {MIN_MINUTES} minutes at least (RDS)"
    if length > MAX_MAINTENANCE_MINUTES:
        return "a window of 24 hours at most (RDS)"
    return None


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)


def _length(start: int, end: int, period: int) -> int:
    return (end - start) % period


def _clock(minute: int) -> str:
    minute %= DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _weekly(minute: int) -> str:
    minute %= WEEK
    return f"{DAYS[minute // DAY]}:{_clock(minute)}"


def default_backup_window(start_hour_utc: int) -> str:
    start = start_hour_utc * 60 - BACKUP_BEFORE
    return f"{_clock(start)}-{_clock(start + MIN_MINUTES)}"


def default_maintenance_window(start_hour_utc: int) -> str:
    start = MAINTENANCE_DAY * DAY + start_hour_utc * 60 - MAINTENANCE_BEFORE
    return f"{_weekly(start)}-{_weekly(start + MIN_MINUTES)}"


def daily_spans(start: int, length: int) -> list[Span]:
    """A daily window as seven weekly spans."""
    return [((start + day * DAY) % WEEK, length) for day in range(7)]


def backup_spans(value: str) -> list[Span]:
    """The (valid) daily backup window ``hh:mm-hh:mm`` as seven weekly spans."""
    groups = _BACKUP.fullmatch(value).groups()  # type: ignore[union-attr]
    start = _minutes(*groups[:2])
    return daily_spans(start, _length(start, _minutes(*groups[2:]), DAY))


def maintenance_span(value: str) -> Span:
    """The (valid) weekly maintenance window ``ddd:hh:mm-ddd:hh:mm`` as a weekly span."""
    groups = _MAINTENANCE.fullmatch(value).groups()  # type: ignore[union-attr]
    start = DAYS.index(groups[0].lower()) * DAY + _minutes(*groups[1:3])
    end = DAYS.index(groups[3].lower()) * DAY + _minutes(*groups[4:6])
    return start, _length(start, end, WEEK)


def overlap(first: list[Span], second: list[Span], *, touching: bool = False) -> bool:
    """Whether any span of ``first`` shares a minute with any of ``second`` (weekly wrap-around);
    with ``touching``, also whether one ends where the other starts."""
    slack = 1 if touching else 0
    for a_start, a_length in first:
        for b_start, b_length in second:
            if (b_start - a_start) % WEEK < a_length + slack or (a_start - b_start) % WEEK < b_length + slack:
                return True
    return False


def describe_daily(start: int, length: int) -> str:
    return f"{_clock(start)}-{_clock(start + length)} UTC daily"
