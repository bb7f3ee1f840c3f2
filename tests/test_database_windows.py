"""The database's RDS backup and maintenance windows: set from config, placed before the AWS Backup
window by default, and refused when they break RDS's rules or meet AWS Backup's start window."""

from __future__ import annotations

import itertools
import textwrap

import pytest

from config import ConfigError, loads, rds_windows
from tests.harness.synth import one


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads('name = "omero-win"\n' + textwrap.dedent(text), "test.hcl")
    return caught.value.lines


def windows(text: str = "") -> tuple[str, str]:
    deployment = loads('name = "omero-win"\n' + textwrap.dedent(text))
    return deployment.database.windows(deployment.backup.start_hour_utc)


def test_synthesized_windows_are_the_defaults_before_the_backup_rules(examples):
    db = one(examples["quickstart-http"].resources("storage", "aws_db_instance"))
    # backup.start_hour_utc = 3: RDS's backup 90 to 60 minutes before, maintenance on Sunday before that
    assert db["backup_window"] == "01:30-02:00"
    assert db["maintenance_window"] == "sun:00:30-sun:01:00"


def test_defaults_follow_the_backup_start_hour_and_wrap_midnight_and_the_week():
    assert windows() == ("01:30-02:00", "sun:00:30-sun:01:00")
    assert windows("backup { start_hour_utc = 1 }") == ("23:30-00:00", "sat:22:30-sat:23:00")
    assert windows("backup { start_hour_utc = 0 }") == ("22:30-23:00", "sat:21:30-sat:22:00")
    assert windows("backup { start_hour_utc = 23 }") == ("21:30-22:00", "sun:20:30-sun:21:00")


@pytest.mark.parametrize("hour", range(24))
def test_defaults_never_meet_each_other_or_the_longest_aws_backup_start_window(hour):
    text = f"backup {{\n  start_hour_utc = {hour}\n  start_window_minutes = 720\n  completion_window_minutes = 780\n}}"
    backup_window, maintenance_window = windows(text)  # loads: no problem reported
    assert rds_windows.backup_window_problem(backup_window) is None
    assert rds_windows.maintenance_window_problem(maintenance_window) is None


def test_configured_windows_reach_the_instance_lowercased():
    assert windows('database {\n  backup_window = "05:00-05:45"\n  maintenance_window = "Tue:22:00-Tue:23:00"\n}') == (
        "05:00-05:45",
        "tue:22:00-tue:23:00",
    )
    # a window may cross midnight, and the maintenance window Sunday night
    assert windows('database {\n  backup_window = "23:45-00:15"\n  maintenance_window = "wed:10:00-wed:10:30"\n}')
    assert windows('database {\n  backup_window = "05:00-05:30"\n  maintenance_window = "sun:23:00-mon:00:30"\n}')


BAD_WINDOWS = [
    ('database { backup_window = "1:30-2:00" }', "database.backup_window", '"hh:mm-hh:mm" in UTC'),
    ('database { backup_window = "01:30-24:00" }', "database.backup_window", '"hh:mm-hh:mm" in UTC'),
    ('database { backup_window = "01:30 - 02:00" }', "database.backup_window", '"hh:mm-hh:mm" in UTC'),
    ('database { backup_window = "01:30-01:50" }', "database.backup_window", "30 minutes at least"),
    ('database { backup_window = "01:30-01:30" }', "database.backup_window", "30 minutes at least"),
    ('database { maintenance_window = "sun:01:00-sun:02:00:00" }', "database.maintenance_window", '"ddd:hh:mm-ddd:hh:mm"'),
    ('database { maintenance_window = "sunday:01:00-sunday:02:00" }', "database.maintenance_window", "ddd one of mon"),
    ('database { maintenance_window = "01:00-02:00" }', "database.maintenance_window", '"ddd:hh:mm-ddd:hh:mm"'),
    ('database { maintenance_window = "sun:01:00-sun:01:20" }', "database.maintenance_window", "30 minutes at least"),
    ('database { maintenance_window = "sun:01:00-tue:01:00" }', "database.maintenance_window", "24 hours at most"),
    # the two windows meet, or touch
    (
        'database {\n  backup_window = "05:00-05:30"\n  maintenance_window = "wed:05:15-wed:06:00"\n}',
        "database.maintenance_window",
        "apart from the backup window (05:00-05:30)",
    ),
    (
        'database {\n  backup_window = "05:00-05:30"\n  maintenance_window = "wed:05:30-wed:06:00"\n}',
        "database.maintenance_window",
        "RDS refuses overlapping windows",
    ),
    (
        'database { backup_window = "23:45-00:45" }\nbackup { start_hour_utc = 3 }',
        "database.backup_window",
        "apart from the maintenance window (sun:00:30-sun:01:00)",
    ),
    # AWS Backup's start window (03:00, 60 minutes by default)
    ('database { backup_window = "03:30-04:00" }', "database.backup_window", "AWS Backup's start window (03:00-04:00 UTC daily"),
    ('database { backup_window = "02:30-03:01" }', "database.backup_window", "no overlap of the RDS backup window"),
    (
        'database { maintenance_window = "fri:03:59-fri:04:30" }',
        "database.maintenance_window",
        "no overlap of the RDS maintenance window (fri:03:59-fri:04:30)",
    ),
    (
        'database { backup_window = "10:00-10:30" }\nbackup {\n  start_window_minutes = 480\n}',
        "database.backup_window",
        "(03:00-11:00 UTC daily",
    ),
]


@pytest.mark.parametrize("text, key, fragment", BAD_WINDOWS, ids=[f"{i:02d}" for i in range(len(BAD_WINDOWS))])
def test_bad_windows_name_the_key(text, key, fragment):
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(key) and fragment in found[0], found


def test_without_aws_backup_only_rds_rules_apply():
    text = 'backup {\n  enabled = false\n}\ndatabase { backup_window = "03:00-03:30" }'
    assert windows(text)[0] == "03:00-03:30"


def test_a_window_just_outside_the_aws_backup_start_window_is_fine():
    assert windows('database {\n  backup_window = "04:00-04:30"\n  maintenance_window = "mon:02:30-mon:03:00"\n}')


def moto_verdict(maintenance: str, backup: str) -> bool:
    """moto's copy of RDS's check (moto/rds/utils.py): True when it accepts the pair."""
    from moto.rds.utils import valid_preferred_maintenance_window

    return valid_preferred_maintenance_window(maintenance, backup) is None


def test_the_overlap_rule_agrees_with_moto_on_every_half_hour_pair():
    """Every backup window of 30 minutes on the half hour against every 30-minute maintenance
    window on the half hour of one day: refused exactly when moto's RDS refuses the pair."""
    slots = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]
    ends = slots[1:] + slots[:1]
    for (b_start, b_end), (m_start, m_end) in itertools.product(zip(slots, ends, strict=True), zip(slots, ends, strict=True)):
        backup, maintenance = f"{b_start}-{b_end}", f"wed:{m_start}-{'thu' if m_end == '00:00' else 'wed'}:{m_end}"
        ours = rds_windows.overlap(rds_windows.backup_spans(backup), [rds_windows.maintenance_span(maintenance)], touching=True)
        assert ours != moto_verdict(maintenance, backup), (backup, maintenance)
