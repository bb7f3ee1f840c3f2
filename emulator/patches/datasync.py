"""DataSync: EFS locations, tags, ARNs in the caller's account, S3 location URIs and task settings."""

from __future__ import annotations

import json

from emulator.patches import Patcher, patch

_MOTO_ACCOUNT = "111222333444"  # what moto 5.2.5 writes into every DataSync ARN
_TASK_KEYS = ("CloudWatchLogGroupArn", "Options", "Excludes", "Includes", "Schedule", "TaskReportConfig")
_tags: dict[str, dict[str, str]] = {}  # resource ARN -> tags; emptied when the patch is applied


def _own_arn(backend, arn: str) -> str:
    return arn.replace(f":{_MOTO_ACCOUNT}:", f":{backend.account_id}:", 1)


def _keep_tags(arn: str, tag_list) -> None:
    _tags.setdefault(arn, {}).update({t["Key"]: t.get("Value", "") for t in tag_list or []})


def _uri_directory(subdirectory: str | None) -> str:
    path = "/".join(part for part in (subdirectory or "").split("/") if part)
    return f"/{path}/" if path else "/"


def create_location_s3(self):
    bucket = self._get_param("S3BucketArn").split(":")[-1]
    metadata = {
        "S3Config": self._get_param("S3Config"),
        "S3StorageClass": self._get_param("S3StorageClass") or "STANDARD",
        "AgentArns": self._get_param("AgentArns"),
    }
    arn = self.datasync_backend.create_location(
        f"s3://{bucket}{_uri_directory(self._get_param('Subdirectory'))}", metadata=metadata, typ="S3"
    )
    _keep_tags(arn, self._get_param("Tags"))
    return json.dumps({"LocationArn": arn})


def describe_location_s3(self):
    location = self._get_location(self._get_param("LocationArn"), typ="S3")
    body = {"LocationArn": location.arn, "LocationUri": location.uri, **location.metadata}
    return json.dumps({k: v for k, v in body.items() if v is not None})


def create_location_efs(self):
    file_system_arn = self._get_param("EfsFilesystemArn")
    region, file_system_id = file_system_arn.split(":")[3], file_system_arn.split("/")[-1]
    metadata = {
        "Ec2Config": self._get_param("Ec2Config"),
        "AccessPointArn": self._get_param("AccessPointArn"),
        "FileSystemAccessRoleArn": self._get_param("FileSystemAccessRoleArn"),
        "InTransitEncryption": self._get_param("InTransitEncryption") or "NONE",
    }
    uri = f"efs://{region}.{file_system_id}{_uri_directory(self._get_param('Subdirectory'))}"
    arn = self.datasync_backend.create_location(uri, metadata=metadata, typ="EFS")
    _keep_tags(arn, self._get_param("Tags"))
    return json.dumps({"LocationArn": arn})


def describe_location_efs(self):
    location = self._get_location(self._get_param("LocationArn"), typ="EFS")
    body = {"LocationArn": location.arn, "LocationUri": location.uri, **location.metadata}
    return json.dumps({k: v for k, v in body.items() if v is not None})


def update_task(self):
    task = self.datasync_backend._get_task(self._get_param("TaskArn"))
    if self._get_param("Name") is not None:
        task.name = self._get_param("Name")
    for key in _TASK_KEYS:
        value = self._get_param(key)
        if value is not None:
            # An empty value clears the setting (e.g. a schedule removed from the task).
            task.metadata[key] = value if value not in ({}, [], "") else None
    return json.dumps({})


def describe_task(self):
    task = self.datasync_backend._get_task(self._get_param("TaskArn"))
    body = {
        "TaskArn": task.arn,
        "Status": task.status,
        "Name": task.name,
        "CurrentTaskExecutionArn": task.current_task_execution_arn,
        "SourceLocationArn": task.source_location_arn,
        "DestinationLocationArn": task.destination_location_arn,
        **{key: task.metadata.get(key) for key in _TASK_KEYS},
    }
    if body["Schedule"]:
        body["ScheduleDetails"] = {"StatusUpdateTime": 0}
    return json.dumps({k: v for k, v in body.items() if v is not None})


def list_tags_for_resource(self):
    found = _tags.get(self._get_param("ResourceArn"), {})
    return json.dumps({"Tags": [{"Key": k, "Value": v} for k, v in found.items()]})


def tag_resource(self):
    _keep_tags(self._get_param("ResourceArn"), self._get_param("Tags"))
    return json.dumps({})


def untag_resource(self):
    current = _tags.get(self._get_param("ResourceArn"), {})
    for key in self._get_param("Keys") or []:
        current.pop(key, None)
    return json.dumps({})


@patch(
    "datasync efs locations, tags and task settings",
    (
        "moto 5.2.5 answers CreateLocationEfs, DescribeLocationEfs and the DataSync tag calls "
        "(ListTagsForResource, TagResource, UntagResource) with 500 (not implemented), and the "
        "provider retries for many minutes. It also writes a fixed account id into location and "
        "task ARNs (the provider derives the EFS file system ARN from the location ARN, so the "
        "location would be replaced on every plan), builds S3 location URIs with a doubled slash, "
        "and drops a task's Schedule and Includes and, on UpdateTask, every setting not sent. "
        "Here EFS locations are kept and described as AWS does (efs://<region>.<fs-id>/<dir>/), "
        "tags are kept per ARN, ARNs carry the caller's account, and tasks keep what they were "
        "given."
    ),
)
def efs_locations_tags_and_task_settings(patcher: Patcher) -> None:
    from moto.datasync.models import DataSyncBackend
    from moto.datasync.responses import DataSyncResponse

    _tags.clear()
    create_location, create_task = DataSyncBackend.create_location, DataSyncBackend.create_task
    original_create_task = DataSyncResponse.create_task

    def create_location_in_account(self, location_uri, typ, metadata):
        location = self.locations.pop(create_location(self, location_uri, typ, metadata))
        location.arn = _own_arn(self, location.arn)
        self.locations[location.arn] = location
        return location.arn

    def create_task_in_account(self, source_location_arn, destination_location_arn, name, metadata):
        task = self.tasks.pop(create_task(self, source_location_arn, destination_location_arn, name, metadata))
        task.arn = _own_arn(self, task.arn)
        self.tasks[task.arn] = task
        return task.arn

    def create_task_with_settings(self):
        arn = json.loads(original_create_task(self))["TaskArn"]
        task = self.datasync_backend._get_task(arn)
        task.metadata = {key: self._get_param(key) for key in _TASK_KEYS}
        _keep_tags(arn, self._get_param("Tags"))
        return json.dumps({"TaskArn": arn})

    patcher.setattr(DataSyncBackend, "create_location", create_location_in_account)
    patcher.setattr(DataSyncBackend, "create_task", create_task_in_account)
    patcher.setattr(DataSyncResponse, "create_task", create_task_with_settings)
    for handler in (
        create_location_s3,
        describe_location_s3,
        create_location_efs,
        describe_location_efs,
        update_task,
        describe_task,
        list_tags_for_resource,
        tag_resource,
        untag_resource,
    ):
        patcher.setattr(DataSyncResponse, handler.__name__, handler)
