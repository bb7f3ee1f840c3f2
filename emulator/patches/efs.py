"""Elastic File System: UpdateFileSystem and backup policies."""

from __future__ import annotations

import json

from emulator.patches import Patcher, patch


def _file_system_not_found():
    body = {"ErrorCode": "FileSystemNotFound", "Message": "File system does not exist."}
    return 404, {"Content-Type": "application/json", "x-amzn-ErrorType": "FileSystemNotFound"}, json.dumps(body)


def update_file_system(self):
    file_system = self.efs_backend.file_systems_by_id.get(self._get_param("FileSystemId"))
    if file_system is None:
        return _file_system_not_found()
    mode = self._get_param("ThroughputMode")
    if mode:
        file_system.throughput_mode = mode
    mibps = self._get_param("ProvisionedThroughputInMibps")
    file_system.provisioned_throughput_in_mibps = mibps if mode == "provisioned" or (mode is None and mibps) else None
    return 202, {"Content-Type": "application/json"}, json.dumps(file_system.info_json())


@patch(
    "efs throughput updates",
    (
        "moto 5.2.5 answers UpdateFileSystem with 500 (not implemented), and the provider calls it "
        "whenever a file system's throughput mode differs from the configuration: a file system "
        "restored from a recovery point (adopted by restore_from.file_system_id) starts in bursting "
        "mode. Here the throughput mode and provisioned throughput are set on the file system and "
        "it is described back, as AWS does."
    ),
)
def throughput_updates(patcher: Patcher) -> None:
    from moto.efs.responses import EFSResponse

    patcher.setattr(EFSResponse, "update_file_system", update_file_system)


def put_backup_policy(self):
    file_system = self.efs_backend.file_systems_by_id.get(self._get_param("FileSystemId"))
    if file_system is None:
        return _file_system_not_found()
    status = (self._get_param("BackupPolicy") or {}).get("Status")
    file_system._backup = status == "ENABLED"
    return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}


def describe_backup_policy(self):
    file_system = self.efs_backend.file_systems_by_id.get(self._get_param("FileSystemId"))
    if file_system is None:
        return _file_system_not_found()
    status = "ENABLED" if file_system._backup else "DISABLED"
    return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}


@patch(
    "efs backup policy",
    (
        "moto 5.2.5 answers PutBackupPolicy with 500 (not implemented) and the provider retries "
        "for many minutes. Here it records the status on the file system, which moto already "
        "reports through DescribeBackupPolicy (DISABLED is reported too, as AWS does)."
    ),
)
def backup_policy(patcher: Patcher) -> None:
    from moto.efs.responses import EFSResponse

    patcher.setattr(EFSResponse, "put_backup_policy", put_backup_policy)
    patcher.setattr(EFSResponse, "describe_backup_policy", describe_backup_policy)
