"""The failed-backup alert: the synthesized EventBridge rule of examples/full.hcl's monitoring stack,
tried on the events AWS Backup documents it sends (tests/fixtures/aws-backup-events.json, copied
verbatim from the AWS Backup Developer Guide with the page's address and the day it was read) with
a matcher that follows EventBridge's pattern rules (tests/harness/event_pattern.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.harness.event_pattern import matches
from tests.harness.synth import one

SAMPLES = json.loads((Path(__file__).parent / "fixtures" / "aws-backup-events.json").read_text())
EVENTS: dict[str, dict] = SAMPLES["events"]
NOT_MADE = ("backup-job-failed", "backup-job-aborted", "backup-job-expired", "copy-job-failed")
HARMLESS = ("backup-job-completed", "backup-job-running", "backup-job-pending", "backup-job-created")
HARMLESS += ("copy-job-completed", "copy-job-running", "copy-job-created")


@pytest.fixture(scope="module")
def rule(examples) -> dict:
    rules = examples["full"].resources("monitoring", "aws_cloudwatch_event_rule")
    return one({k: v for k, v in rules.items() if v["name"] == "omero-full-omero-backup-failed"})


@pytest.fixture(scope="module")
def pattern(rule) -> dict:
    return json.loads(rule["event_pattern"])


def protected(pattern: dict) -> list[str]:
    """The resources the rule watches (cross-stack references; an event names them resolved, the
    test names them by the same reference on both sides)."""
    return pattern["detail"]["resourceArn"]


def about(event: dict, resource_arn: str) -> dict:
    """AWS's sample event as AWS Backup would send it for this resource: only detail.resourceArn,
    the protected resource, differs."""
    event = copy.deepcopy(event)
    event["detail"]["resourceArn"] = resource_arn
    return event


def test_the_samples_are_awss_own():
    assert SAMPLES["source"] == "https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html"
    assert SAMPLES["retrieved"]
    # What the old rule got wrong: a job that made no recovery point carries no resource at the
    # top level, and a copy job carries the recovery point copied, never the protected resource.
    for name in ("backup-job-failed", "backup-job-aborted", "backup-job-expired"):
        assert EVENTS[name]["resources"] == [], name
    assert EVENTS["copy-job-failed"]["resources"] == ["arn:aws:ec2:us-west-2::image/ami-00179b33a7a88cac5"]
    assert EVENTS["copy-job-failed"]["detail"]["resourceArn"].endswith(":instance/i-0515aee7de03f58e1")


def test_the_rule_watches_the_file_system_the_database_and_the_gateway_bucket(pattern):
    arns = protected(pattern)
    assert len(arns) == len(set(arns)) == 3
    assert any("aws_efs_file_system" in arn for arn in arns)
    assert any("aws_db_instance" in arn for arn in arns)
    assert any("aws_s3_bucket" in arn for arn in arns)  # full.hcl has the S3 File Gateway
    assert "resources" not in pattern  # never the protected resource (see above)


@pytest.mark.parametrize("name", NOT_MADE)
def test_a_job_that_made_no_recovery_point_raises_the_alert(pattern, name):
    for arn in protected(pattern):
        assert matches(pattern, about(EVENTS[name], arn)), (name, arn)


@pytest.mark.parametrize("name", HARMLESS)
def test_completed_and_unfinished_jobs_do_not(pattern, name):
    for arn in protected(pattern):
        assert not matches(pattern, about(EVENTS[name], arn)), (name, arn)


@pytest.mark.parametrize("name", NOT_MADE)
def test_other_resources_jobs_do_not(pattern, name):
    assert not matches(pattern, EVENTS[name])  # as AWS published it: another account's resource
    other = "arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-0123456789abcdef0"
    assert not matches(pattern, about(EVENTS[name], other))


def test_only_aws_backup_job_events_of_those_kinds(pattern):
    event = about(EVENTS["backup-job-failed"], protected(pattern)[0])
    assert matches(pattern, event)
    assert not matches(pattern, {**event, "source": "aws.backupx"})
    assert not matches(pattern, {**event, "detail-type": "Restore Job State Change"})
    without_state = copy.deepcopy(event)
    del without_state["detail"]["state"]
    assert not matches(pattern, without_state)


def test_the_rule_notifies_the_alarm_topic(examples, rule):
    target = one(examples["full"].resources("monitoring", "aws_cloudwatch_event_target"))
    topic_id = one({k: v for k, v in examples["full"].resources("monitoring", "aws_sns_topic").items()})
    assert target["arn"].startswith("${aws_sns_topic.") and topic_id["name"] == "omero-full-omero-alarms"
    assert target["rule"].endswith(".name}")


# The matcher itself, on the examples of the EventBridge User Guide.


def test_matcher_arrays_are_or_and_event_arrays_intersect():
    # "Arrays in Amazon EventBridge event patterns" (eb-event-patterns-arrays.html)
    pattern = {
        "resources": [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
        ]
    }
    event = {
        "resources": [
            "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:"
            "autoScalingGroupName/ASGTerminate",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        ]
    }
    assert matches(pattern, event)
    assert not matches(pattern, {"resources": []})
    assert not matches(pattern, {"resources": [event["resources"][0]]})


def test_matcher_nesting_missing_fields_and_types():
    # "Creating event patterns" (eb-create-pattern.html): the EC2 example.
    pattern = {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]},
    }
    event = {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {"state": "terminated"}}
    assert matches(pattern, event)
    assert matches(pattern, {**event, "extra": 1})  # fields the pattern does not name are ignored
    assert not matches(pattern, {"source": "aws.ec2", "detail-type": event["detail-type"]})
    assert not matches(pattern, {**event, "detail": "terminated"})
    assert not matches({"n": [300]}, {"n": "300"}) and matches({"n": [300]}, {"n": 300})
    assert not matches({"b": [True]}, {"b": 1})


def test_matcher_content_filters():
    assert matches({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"})
    assert not matches({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"})
    assert matches({"state": [{"anything-but": "initializing"}]}, {"state": "running"})
    assert not matches({"state": [{"anything-but": ["stopped", "overloaded"]}]}, {"state": "stopped"})
    assert not matches({"state": [{"anything-but": "initializing"}]}, {})
    assert matches({"state": [{"exists": False}]}, {}) and not matches({"state": [{"exists": True}]}, {})
    assert matches({"c": [{"numeric": [">", 0, "<=", 5]}]}, {"c": 5}) and not matches({"c": [{"numeric": [">", 0]}]}, {"c": "5"})
    with pytest.raises(ValueError):
        matches({"s": [{"wildcard": "a*"}]}, {"s": "ab"})
