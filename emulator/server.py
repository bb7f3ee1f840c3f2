"""moto's server, with the emulator gaps that block our stacks closed. Run as a script.

Each patch is listed in ``EMULATOR_PATCHES`` with what it changes and why; nothing here changes
what the product deploys.
"""
from __future__ import annotations

import sys

EMULATOR_PATCHES = {
    "s3 bucket policy conditions": (
        "moto cannot evaluate the condition keys of a bucket policy statement and then treats "
        "the statement as a match, so the state bucket's TLS-only Deny (aws:SecureTransport, "
        "s3:TlsVersion) forbids every request. Here statements with conditions are left out of "
        "S3's evaluation; the policy itself is asserted in tests/test_state.py."
    ),
    "efs throughput updates": (
        "moto 5.2.5 answers UpdateFileSystem with 500 (not implemented), and the provider calls it "
        "whenever a file system's throughput mode differs from the configuration: a file system "
        "restored from a recovery point (adopted by restore_from.file_system_id) starts in bursting "
        "mode. Here the throughput mode and provisioned throughput are set on the file system and "
        "it is described back, as AWS does."
    ),
    "efs backup policy": (
        "moto 5.2.5 answers PutBackupPolicy with 500 (not implemented) and the provider retries "
        "for many minutes. Here it records the status on the file system, which moto already "
        "reports through DescribeBackupPolicy (DISABLED is reported too, as AWS does)."
    ),
    "application autoscaling tags": (
        "moto 5.2.5 answers ListTagsForResource, TagResource and UntagResource of Application "
        "Auto Scaling with 500 (not implemented) and ignores the Tags of RegisterScalableTarget; "
        "the provider reads a scalable target's tags after creating it and retries for many "
        "minutes. Here the tags are kept per ARN and answered."
    ),
    "security group rule descriptions": (
        "moto 5.2.5 reports the description of a security group rule only for rules with an "
        "address range, not for rules that reference another group, so every such rule re-plans "
        "its description. Here the referenced group's description is reported too."
    ),
    "ecs service capacity provider strategy": (
        "moto 5.2.5 ignores the capacityProviderStrategy of CreateService and reports the "
        "service on the EC2 launch type instead, so a service placed by a capacity provider is "
        "replaced on every plan. Here the strategy is kept and reported, without a launch type, "
        "as AWS does."
    ),
    "launch template tags": (
        "moto 5.2.5 files the tags of a launch template itself (TagSpecifications of type "
        "launch-template) under the template's launch data as well, so the template re-plans a "
        "new version forever. Here they stay on the template only, as in AWS."
    ),
    "datasync efs locations, tags and task settings": (
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
    "ec2 detailed monitoring": (
        "moto 5.2.5 answers MonitorInstances and UnmonitorInstances with 500 (not implemented); "
        "the provider calls them for an instance's monitoring switch and retries for many "
        "minutes. Here they set the monitoring state moto already keeps on the instance, so "
        "DescribeInstances reports Monitoring.State enabled or disabled, as AWS does."
    ),
    "ec2 instances launched with a network interface spec": (
        "moto 5.2.5 reports no SecurityGroups on an instance whose groups were given in its "
        "NetworkInterfaces spec (what the provider sends with associate_public_ip_address), and "
        "an empty Association on every instance interface without a public IP, which the "
        "provider reads as a public IP: the second plan replaces the instance. Here such an "
        "instance reports its primary interface's groups, and an empty Association is left out, "
        "as in AWS."
    ),
    "ec2 instance maintenance options": (
        "moto 5.2.5 ignores the MaintenanceOptions of RunInstances and reports none, so an "
        "instance with maintenance_options re-plans them forever. Here DescribeInstances reports "
        "the AutoRecovery given at launch (default: \"default\"), as AWS does."
    ),
    "backup selections, vault notifications and vault access policies": (
        "moto 5.2.5 routes none of CreateBackupSelection, GetBackupSelection, "
        "DeleteBackupSelection, ListBackupSelections, Put/Get/DeleteBackupVaultNotifications and "
        "Put/Get/DeleteBackupVaultAccessPolicy (404 or 500), so aws_backup_selection, "
        "aws_backup_vault_notifications and aws_backup_vault_policy cannot be created. Here they "
        "are kept per plan and per vault and answered as AWS does (ResourceNotFoundException "
        "when absent, so the provider sees a deleted resource as gone), and DeleteBackupPlan "
        "refuses a plan that still has selections, as AWS does. moto's ListTags also takes the "
        "path segment before the last one as the ARN (the model's /tags/{arn}/), but the Go SDK "
        "sends /tags/{arn} without the slash, so every vault and plan lost its tags; here the "
        "ARN is read after /tags/."
    ),
    "backup jobs, recovery points, copies and restores": (
        "moto 5.2.5 has no StartBackupJob, DescribeBackupJob, ListRecoveryPointsByBackupVault, "
        "DescribeRecoveryPoint, StartCopyJob, DescribeCopyJob, StartRestoreJob or "
        "DescribeRestoreJob, so the restore command (tools/restore.py) has nothing to read or "
        "start. Here a backup job completes at once and records a COMPLETED recovery point: for "
        "an EFS file system an AWS Backup recovery point ARN, for an RDS instance a real DB "
        "snapshot in moto's RDS backend named as AWS Backup names it (awsbackup:job-<id>, type "
        "awsbackup; its ARN is the recovery point ARN), so a DB instance can be created from it "
        "with snapshot_identifier. A copy job copies the point into the destination vault "
        "(its region's backend; an RDS copy is a snapshot awsbackup:copyjob-<id> there). An "
        "EFS restore job with newFileSystem creates a file system in moto's EFS backend with "
        "the requested CreationToken, Encrypted, KmsKeyId and PerformanceMode (FAILED, as in "
        "AWS, when the creation token is taken) and reports RUNNING once, then COMPLETED with "
        "CreatedResourceArn. DescribeDBSnapshots finds an awsbackup snapshot when it is asked "
        "for by its identifier, as AWS does."
    ),
    "rds instance resource ids": (
        "moto 5.2.5 gives every DB instance the same DbiResourceId (db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U). "
        "The provider finds an instance by that id (its resource id), so with two instances in "
        "a region, such as a database and the one restored from its snapshot, it finds two and "
        "waits for ever. Here each instance gets its own, as in AWS."
    ),
    "storage gateway appliance image": (
        "moto 5.2.5 has AWS's public SSM parameters for the Amazon Linux and ECS-optimized AMIs but "
        "not /aws/service/storagegateway/ami/<type>/latest, so the S3 File Gateway appliance has no "
        "image to launch. Here those parameters name the region's Amazon Linux 2 AMI in moto (an "
        "image moto launches; the appliance's software is what the next patch stands in for)."
    ),
    "storage gateway": (
        "moto 5.2.5 has no Storage Gateway, so an S3 File Gateway cannot be activated, given its "
        "cache or its NFS share. Here the calls the provider makes are answered as AWS does: "
        "ActivateGateway, DescribeGatewayInformation, UpdateGatewayInformation, DeleteGateway, the "
        "SMB, bandwidth and maintenance settings it reads, ListLocalDisks, AddCache, DescribeCache, "
        "Create/Describe/UpdateNFSFileShare, DeleteFileShare, ListFileShares, ListGateways and the "
        "tag calls, with AWS's defaults for settings not given and its errors "
        "(InvalidGatewayRequestException with GatewayNotFound or FileShareNotFound, so a deleted "
        "one reads as gone). A gateway is the EC2 instance it was activated from: it reports that "
        "instance's id and private IP, and its local disks are the EBS volumes attached to it, "
        "listed as a gateway on that instance lists them: the attachment's device name is the "
        "disk node, and the disk path is the kernel's name, /dev/nvme<N>n1 on a Nitro instance "
        "(every current type) and the device name only on a Xen one (hashicorp/"
        "terraform-provider-aws#5589; the provider's acceptance test rewrites xvdb to nvme1n1). The appliance hands out the activation key on port 80 of "
        "its private IP (GET /?activationRegion=...), which no test can reach: the tests send "
        "Terraform's plain-HTTP requests through the emulator (HTTP_PROXY; loopback is never "
        "proxied, so the AWS calls go direct), which answers for the address of a running instance "
        "with the appliance's redirect carrying a one-time key (the bare key with no_redirect), and "
        "404 for any other address."
    ),
    "appstream": (
        "moto 5.2.5 has no AppStream 2.0, so OMERO.insight's fleet, stack and users cannot be "
        "created. Here fleets (created STOPPED, RUNNING after StartFleet, capacity reported from the "
        "desired instances; deletion refused while running or still associated, as AWS does), "
        "stacks (user settings and storage connectors as given, application settings with the "
        "bucket AWS creates for them), fleet-stack associations, user-pool users (enabled or not) "
        "and their stack associations, and the tags of fleets and stacks are kept per account and "
        "region and answered as AWS does (ResourceNotFoundException when absent). Images are not "
        "emulated: any image name is taken as it is given."
    ),
    "elasticache replication group members": (
        "moto 5.2.5 makes one member of a replication group with cluster mode disabled whatever "
        "its NumCacheClusters (it counts ReplicasPerNodeGroup only), and lists the members "
        "(<group>-001, -002, ...) without making cache clusters for them, so DescribeCacheClusters answers CacheClusterNotFound; the "
        "provider reads the group's settings (engine, node type, subnet group, security groups, "
        "parameter group, encryption, AUTH) from its first member and fails. moto also leaves a "
        "deleted group in 'deleting' for ever, and the provider waits until it is gone. Here each "
        "member of a group with cluster mode disabled is a cache cluster carrying the group's "
        "settings, NumCacheClusters of them, as AWS describes them: "
        "AtRestEncryptionEnabled, TransitEncryptionEnabled with TransitEncryptionMode 'required' "
        "when encryption in transit is on at creation, AuthTokenEnabled, the security groups as "
        "active memberships and the engine's default parameter group (default.<engine><major>) "
        "when none is given (ElastiCache API Reference, CreateReplicationGroup and CacheCluster). "
        "A deleted group and its members are gone, and a later describe answers "
        "ReplicationGroupNotFoundFault, as in AWS. DeleteCacheSubnetGroup, which moto lacks, "
        "deletes a subnet group no cache cluster uses (CacheSubnetGroupInUse otherwise, "
        "CacheSubnetGroupNotFoundFault when absent)."
    ),
    "ecr pull-through cache rules": (
        "moto 5.2.5 has no ECR pull-through cache rules (CreatePullThroughCacheRule answers "
        "'not yet implemented'). Here Create/Describe/DeletePullThroughCacheRule are answered per "
        "account and region as the ECR API Reference documents them: ecrRepositoryPrefix of 2-30 "
        "characters in ECR's pattern, PullThroughCacheRuleAlreadyExistsException, "
        "PullThroughCacheRuleNotFoundException; for Docker Hub (registry-1.docker.io) a "
        "credentialArn is required, must name a secret 'ecr-pullthroughcache/...' in the rule's "
        "region and that secret must exist (SecretNotFoundException otherwise; a full ARN's "
        "six-character suffix is AWS's own and is not compared). Images are not pulled through."
    ),
}


def _patch_ec2_monitoring() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.monitoring import Monitoring

    def set_monitoring(self, state: str, reported: str) -> ActionResult:
        instance_ids = self._get_param("InstanceIds", [])
        self.error_on_dryrun()
        instances = [self.ec2_backend.get_instance(instance_id) for instance_id in instance_ids]
        for instance in instances:
            instance.monitoring_state = state
        # AWS answers with the transition; DescribeInstances shows the settled state.
        return ActionResult({"InstanceMonitorings": [
            {"InstanceId": instance.id, "Monitoring": {"State": reported}} for instance in instances
        ]})

    Monitoring.monitor_instances = lambda self: set_monitoring(self, "enabled", "pending")
    Monitoring.unmonitor_instances = lambda self: set_monitoring(self, "disabled", "disabling")


def _patch_instance_network_interface_spec() -> None:
    from moto.core.serialize import return_if_not_empty
    from moto.ec2.models.instances import Instance
    from moto.ec2.responses._base_response import EC2BaseResponse

    def get_security_groups(self):
        groups = self.__dict__.get("_own_security_groups")
        nics = self.__dict__.get("nics") or {}
        if not groups and 0 in nics:
            # Launched with its groups on the interface only: the instance has its interface's groups.
            return list(nics[0]._group_set)
        return groups

    def set_security_groups(self, groups) -> None:
        self.__dict__["_own_security_groups"] = groups

    Instance.security_groups = property(get_security_groups, set_security_groups)
    interface = "Instances.Instance.NetworkInterfaces.InstanceNetworkInterface"
    EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.update({
        f"{interface}.Association": return_if_not_empty,
        f"{interface}.PrivateIpAddresses.InstancePrivateIpAddress.Association": return_if_not_empty,
    })


def _patch_instance_maintenance_options() -> None:
    from moto.ec2.models.instances import Instance
    from moto.ec2.responses.instances import InstanceResponse

    Instance.maintenance_options = {"AutoRecovery": "default"}  # what AWS reports when none was given
    run = InstanceResponse.run_instances

    def run_instances(self):
        result = run(self)
        auto_recovery = (self._get_param("MaintenanceOptions") or {}).get("AutoRecovery")
        if auto_recovery:
            for instance in result.result.instances:
                instance.maintenance_options = {"AutoRecovery": auto_recovery}
        return result

    InstanceResponse.run_instances = run_instances


def _patch_launch_template_tags() -> None:
    from moto.ec2.responses.launch_templates import LaunchTemplates

    create = LaunchTemplates.create_launch_template

    def create_launch_template(self):
        result = create(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        for version in template.versions:
            specs = version.data.get("TagSpecifications")
            if specs:
                version.data["TagSpecifications"] = [s for s in specs if s.get("ResourceType") != "launch-template"]
        return result

    LaunchTemplates.create_launch_template = create_launch_template


def _patch_ecs_capacity_provider_strategy() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    create = EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = create(self)
        strategy = self._get_param("capacityProviderStrategy")
        if strategy:
            service = result.result["service"]
            service.capacity_provider_strategy = strategy
            service.launch_type = None
        return result

    EC2ContainerServiceResponse.create_service = create_service


def _patch_security_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description") or self.source_group.get("Description")
    )


def _patch_application_autoscaling_tags() -> None:
    import json

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    tags: dict[str, dict[str, str]] = {}  # resource ARN -> tags
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self):
        body = register(self)
        arn = json.loads(body)["ScalableTargetARN"]
        tags.setdefault(arn, {}).update(self._get_param("Tags") or {})
        return body

    def list_tags_for_resource(self):
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    def tag_resource(self):
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self):
        current = tags.get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            current.pop(key, None)
        return json.dumps({})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource


def _patch_efs_backup_policy() -> None:
    import json

    from moto.efs.responses import EFSResponse

    def put_backup_policy(self):
        file_system = self.efs_backend.file_systems_by_id.get(self._get_param("FileSystemId"))
        if file_system is None:
            body = {"ErrorCode": "FileSystemNotFound", "Message": "File system does not exist."}
            return 404, {"Content-Type": "application/json", "x-amzn-ErrorType": "FileSystemNotFound"}, json.dumps(body)
        status = (self._get_param("BackupPolicy") or {}).get("Status")
        file_system._backup = status == "ENABLED"
        return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}

    def describe_backup_policy(self):
        file_system = self.efs_backend.file_systems_by_id.get(self._get_param("FileSystemId"))
        if file_system is None:
            body = {"ErrorCode": "FileSystemNotFound", "Message": "File system does not exist."}
            return 404, {"Content-Type": "application/json", "x-amzn-ErrorType": "FileSystemNotFound"}, json.dumps(body)
        status = "ENABLED" if file_system._backup else "DISABLED"
        return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}

    EFSResponse.put_backup_policy = put_backup_policy
    EFSResponse.describe_backup_policy = describe_backup_policy


def _patch_efs_update_file_system() -> None:
    import json

    from moto.efs.responses import EFSResponse

    def update_file_system(self):
        file_system = self.efs_backend.file_systems_by_id.get(self._get_param("FileSystemId"))
        if file_system is None:
            body = {"ErrorCode": "FileSystemNotFound", "Message": "File system does not exist."}
            return 404, {"Content-Type": "application/json", "x-amzn-ErrorType": "FileSystemNotFound"}, json.dumps(body)
        mode = self._get_param("ThroughputMode")
        if mode:
            file_system.throughput_mode = mode
        mibps = self._get_param("ProvisionedThroughputInMibps")
        file_system.provisioned_throughput_in_mibps = mibps if mode == "provisioned" or (mode is None and mibps) else None
        return 202, {"Content-Type": "application/json"}, json.dumps(file_system.info_json())

    EFSResponse.update_file_system = update_file_system


def _patch_bucket_policy_conditions() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        # S3 bucket policies are evaluated with no request context at all.
        if self._statement.get("Condition") and incoming_condition_values is None:
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted


def _patch_datasync() -> None:
    import json

    from moto.datasync.models import DataSyncBackend
    from moto.datasync.responses import DataSyncResponse

    tags: dict[str, dict[str, str]] = {}  # resource ARN -> tags
    moto_account = "111222333444"  # what moto 5.2.5 writes into every DataSync ARN

    def own_arn(backend, arn: str) -> str:
        return arn.replace(f":{moto_account}:", f":{backend.account_id}:", 1)

    create_location, create_task = DataSyncBackend.create_location, DataSyncBackend.create_task

    def create_location_in_account(self, location_uri, typ, metadata):
        location = self.locations.pop(create_location(self, location_uri, typ, metadata))
        location.arn = own_arn(self, location.arn)
        self.locations[location.arn] = location
        return location.arn

    def create_task_in_account(self, source_location_arn, destination_location_arn, name, metadata):
        task = self.tasks.pop(create_task(self, source_location_arn, destination_location_arn, name, metadata))
        task.arn = own_arn(self, task.arn)
        self.tasks[task.arn] = task
        return task.arn

    def keep_tags(arn: str, tag_list) -> None:
        tags.setdefault(arn, {}).update({t["Key"]: t.get("Value", "") for t in tag_list or []})

    def uri_directory(subdirectory: str | None) -> str:
        path = "/".join(part for part in (subdirectory or "").split("/") if part)
        return f"/{path}/" if path else "/"

    def create_location_s3(self):
        bucket = self._get_param("S3BucketArn").split(":")[-1]
        metadata = {
            "S3Config": self._get_param("S3Config"),
            "S3StorageClass": self._get_param("S3StorageClass") or "STANDARD",
            "AgentArns": self._get_param("AgentArns"),
        }
        arn = self.datasync_backend.create_location(f"s3://{bucket}{uri_directory(self._get_param('Subdirectory'))}", metadata=metadata, typ="S3")
        keep_tags(arn, self._get_param("Tags"))
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
        uri = f"efs://{region}.{file_system_id}{uri_directory(self._get_param('Subdirectory'))}"
        arn = self.datasync_backend.create_location(uri, metadata=metadata, typ="EFS")
        keep_tags(arn, self._get_param("Tags"))
        return json.dumps({"LocationArn": arn})

    def describe_location_efs(self):
        location = self._get_location(self._get_param("LocationArn"), typ="EFS")
        body = {"LocationArn": location.arn, "LocationUri": location.uri, **location.metadata}
        return json.dumps({k: v for k, v in body.items() if v is not None})

    task_keys = ("CloudWatchLogGroupArn", "Options", "Excludes", "Includes", "Schedule", "TaskReportConfig")

    def create_task_with_settings(self):
        arn = json.loads(original_create_task(self))["TaskArn"]
        task = self.datasync_backend._get_task(arn)
        task.metadata = {key: self._get_param(key) for key in task_keys}
        keep_tags(arn, self._get_param("Tags"))
        return json.dumps({"TaskArn": arn})

    def update_task(self):
        task = self.datasync_backend._get_task(self._get_param("TaskArn"))
        if self._get_param("Name") is not None:
            task.name = self._get_param("Name")
        for key in task_keys:
            value = self._get_param(key)
            if value is not None:
                # An empty value clears the setting (e.g. a schedule removed from the task).
                task.metadata[key] = value if value not in ({}, [], "") else None
        return json.dumps({})

    def describe_task(self):
        task = self.datasync_backend._get_task(self._get_param("TaskArn"))
        body = {
            "TaskArn": task.arn, "Status": task.status, "Name": task.name,
            "CurrentTaskExecutionArn": task.current_task_execution_arn,
            "SourceLocationArn": task.source_location_arn,
            "DestinationLocationArn": task.destination_location_arn,
            **{key: task.metadata.get(key) for key in task_keys},
        }
        if body["Schedule"]:
            body["ScheduleDetails"] = {"StatusUpdateTime": 0}
        return json.dumps({k: v for k, v in body.items() if v is not None})

    def list_tags_for_resource(self):
        found = tags.get(self._get_param("ResourceArn"), {})
        return json.dumps({"Tags": [{"Key": k, "Value": v} for k, v in found.items()]})

    def tag_resource(self):
        keep_tags(self._get_param("ResourceArn"), self._get_param("Tags"))
        return json.dumps({})

    def untag_resource(self):
        current = tags.get(self._get_param("ResourceArn"), {})
        for key in self._get_param("Keys") or []:
            current.pop(key, None)
        return json.dumps({})

    original_create_task = DataSyncResponse.create_task
    DataSyncBackend.create_location = create_location_in_account
    DataSyncBackend.create_task = create_task_in_account
    DataSyncResponse.create_location_s3 = create_location_s3
    DataSyncResponse.describe_location_s3 = describe_location_s3
    DataSyncResponse.create_location_efs = create_location_efs
    DataSyncResponse.describe_location_efs = describe_location_efs
    DataSyncResponse.create_task = create_task_with_settings
    DataSyncResponse.update_task = update_task
    DataSyncResponse.describe_task = describe_task
    DataSyncResponse.list_tags_for_resource = list_tags_for_resource
    DataSyncResponse.tag_resource = tag_resource
    DataSyncResponse.untag_resource = untag_resource


def _backup_routes(*paths: str) -> None:
    """Route these paths (regular expressions under the service's base) to moto's backup handler.

    moto finds the operation from the method and the path with botocore's model; its url map only
    has to let the request through. Must run before the server builds its backup app."""
    from moto.backup import urls
    from moto.backup.responses import BackupResponse

    for path in paths:
        urls.url_paths.setdefault("{0}" + path, BackupResponse.dispatch)


def _patch_backup_selections_notifications_policies() -> None:
    import json
    from urllib.parse import unquote

    from moto.backup.exceptions import InvalidRequestException, ResourceNotFoundException
    from moto.backup.models import BackupBackend
    from moto.backup.responses import BackupResponse
    from moto.core.utils import unix_time
    from moto.moto_api._internal import mock_random

    _backup_routes(
        r"/backup/plans/(?P<plan>[^/]+)/selections/$",
        r"/backup/plans/(?P<plan>[^/]+)/selections/(?P<selection>[^/]+)/?$",
        r"/backup-vaults/(?P<vault>[^/]+)/notification-configuration/?$",
        r"/backup-vaults/(?P<vault>[^/]+)/access-policy/?$",
    )

    def plan_of(self):
        plan_id = self.uri_match["backupPlanId"]
        plan = self.backup_backend.plans.get(plan_id)
        if plan is None or plan.deletion_date is not None:
            raise ResourceNotFoundException(msg=f"Failed reading Backup plan {plan_id}")
        return plan

    def selections(self) -> dict[str, dict]:
        # plan id -> selection id -> selection, on the region's backend (reset with it)
        return self.backup_backend.__dict__.setdefault("_selections", {}).setdefault(self.uri_match["backupPlanId"], {})

    def vault_of(self):
        return self.backup_backend.describe_backup_vault(self.uri_match["backupVaultName"])

    def create_backup_selection(self):
        plan_of(self)
        selection = {
            "SelectionId": str(mock_random.uuid4()),
            "BackupPlanId": self.uri_match["backupPlanId"],
            "BackupSelection": self._get_param("BackupSelection"),
            "CreationDate": unix_time(),
            "CreatorRequestId": self._get_param("CreatorRequestId"),
        }
        selections(self)[selection["SelectionId"]] = selection
        return json.dumps({key: selection[key] for key in ("SelectionId", "BackupPlanId", "CreationDate")})

    def get_backup_selection(self):
        plan_of(self)
        selection = selections(self).get(self.uri_match["selectionId"])
        if selection is None:
            raise ResourceNotFoundException(msg=f"Failed reading Backup selection {self.uri_match['selectionId']}")
        return json.dumps({key: value for key, value in selection.items() if value is not None})

    def delete_backup_selection(self):
        plan_of(self)
        if selections(self).pop(self.uri_match["selectionId"], None) is None:
            raise ResourceNotFoundException(msg=f"Failed reading Backup selection {self.uri_match['selectionId']}")
        return "{}"

    def list_backup_selections(self):
        plan_of(self)
        listed = [
            {
                "SelectionId": s["SelectionId"], "SelectionName": s["BackupSelection"]["SelectionName"],
                "BackupPlanId": s["BackupPlanId"], "CreationDate": s["CreationDate"],
                "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
                **({"CreatorRequestId": s["CreatorRequestId"]} if s["CreatorRequestId"] else {}),
            }
            for s in selections(self).values()
        ]
        return json.dumps({"BackupSelectionsList": listed})

    def put_backup_vault_notifications(self):
        vault_of(self).__dict__["_notifications"] = {
            "SNSTopicArn": self._get_param("SNSTopicArn"),
            "BackupVaultEvents": self._get_param("BackupVaultEvents"),
        }
        return "{}"

    def get_backup_vault_notifications(self):
        vault = vault_of(self)
        found = vault.__dict__.get("_notifications")
        if found is None:
            raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no notifications")
        return json.dumps({"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, **found})

    def delete_backup_vault_notifications(self):
        vault_of(self).__dict__.pop("_notifications", None)
        return "{}"

    def put_backup_vault_access_policy(self):
        vault_of(self).__dict__["_policy"] = self._get_param("Policy")
        return "{}"

    def get_backup_vault_access_policy(self):
        vault = vault_of(self)
        policy = vault.__dict__.get("_policy")
        if policy is None:
            raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no access policy")
        return json.dumps({"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, "Policy": policy})

    def delete_backup_vault_access_policy(self):
        vault_of(self).__dict__.pop("_policy", None)
        return "{}"

    delete_plan = BackupBackend.delete_backup_plan

    def delete_backup_plan(self, backup_plan_id: str):
        if self.__dict__.get("_selections", {}).get(backup_plan_id):
            raise InvalidRequestException(msg="Related backup plan selections must be deleted prior to backup plan deletion")
        return delete_plan(self, backup_plan_id)

    def list_tags(self):
        arn = unquote(self.path.split("/tags/", 1)[1].split("?", 1)[0].rstrip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=arn)})

    BackupBackend.delete_backup_plan = delete_backup_plan
    BackupResponse.list_tags = list_tags
    for handler in (
        create_backup_selection, get_backup_selection, delete_backup_selection, list_backup_selections,
        put_backup_vault_notifications, get_backup_vault_notifications, delete_backup_vault_notifications,
        put_backup_vault_access_policy, get_backup_vault_access_policy, delete_backup_vault_access_policy,
    ):
        setattr(BackupResponse, handler.__name__, handler)


def _patch_backup_jobs_and_restores() -> None:
    import json
    from datetime import datetime, timezone
    from urllib.parse import unquote

    from moto.backup.exceptions import InvalidParameterValueException, ResourceNotFoundException
    from moto.backup.models import backup_backends
    from moto.backup.responses import BackupResponse
    from moto.core.utils import unix_time
    from moto.efs.models import efs_backends
    from moto.moto_api._internal import mock_random
    from moto.rds.models import DBSnapshot, RDSBackend, rds_backends

    _backup_routes(
        r"/backup-jobs/$", r"/backup-jobs/(?P<job>[^/]+)/?$",
        r"/copy-jobs/$", r"/copy-jobs/(?P<job>[^/]+)/?$",
        r"/restore-jobs/$", r"/restore-jobs/(?P<job>[^/]+)/?$",
        r"/backup-vaults/(?P<vault>[^/]+)/recovery-points/$",
        r"/backup-vaults/(?P<vault>[^/]+)/recovery-points/(?P<point>.+)$",
    )

    def state(backend, kind: str) -> dict:
        # recovery points (vault name -> ARN -> point), backup/copy/restore jobs (id -> job)
        return backend.__dict__.setdefault(f"_{kind}", {})

    def compact(record: dict) -> str:
        return json.dumps({key: value for key, value in record.items() if value is not None})

    def job_id() -> str:
        return str(mock_random.uuid4()).upper()

    def resource_of(arn: str) -> tuple[str, str, str]:
        """(resource type, region, id) of an EFS file system or RDS instance ARN."""
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[2] == "elasticfilesystem" and parts[5].startswith("file-system/"):
            return "EFS", parts[3], parts[5].split("/", 1)[1]
        if len(parts) == 6 and parts[2] == "rds" and parts[5].startswith("db:"):
            return "RDS", parts[3], parts[5].split(":", 1)[1]
        raise InvalidParameterValueException(msg=f"Unsupported resource ARN for a backup: {arn}")

    def add_point(backend, vault, **point) -> dict:
        now = unix_time()
        point = {
            "BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn,
            "Status": "COMPLETED", "CreationDate": now, "CompletionDate": now,
            "EncryptionKeyArn": vault.encryption_key_arn, "IsEncrypted": True, "StorageClass": "WARM",
            "BackupSizeInBytes": 0, **point,
        }
        state(backend, "recovery_points").setdefault(vault.backup_vault_name, {})[point["RecoveryPointArn"]] = point
        vault.num_of_recovery_points += 1
        return point

    def snapshot_arn(backend: RDSBackend, name: str) -> str:
        return f"arn:aws:rds:{backend.region_name}:{backend.account_id}:snapshot:{name}"

    def start_backup_job(self):
        backend = self.backup_backend
        vault = backend.describe_backup_vault(self._get_param("BackupVaultName"))
        resource_arn, identifier = self._get_param("ResourceArn"), job_id()
        resource_type, region, resource_id = resource_of(resource_arn)
        if resource_type == "EFS":
            if resource_id not in efs_backends[self.current_account][region].file_systems_by_id:
                raise ResourceNotFoundException(msg=f"Resource {resource_arn} not found")
            point_arn = f"arn:aws:backup:{backend.region_name}:{self.current_account}:recovery-point:{mock_random.uuid4()}"
        else:
            rds = rds_backends[self.current_account][region]
            name = f"awsbackup:job-{identifier.lower()}"
            rds.create_db_snapshot(resource_id, name, snapshot_type="awsbackup", tags=[])
            point_arn = snapshot_arn(rds, name)
        point = add_point(
            backend, vault, RecoveryPointArn=point_arn, ResourceArn=resource_arn, ResourceType=resource_type,
            ResourceName=resource_id, IamRoleArn=self._get_param("IamRoleArn"),
            Lifecycle=self._get_param("Lifecycle"), CreatedBy={"BackupPlanId": "on-demand"},
        )
        state(backend, "backup_jobs")[identifier] = {
            "AccountId": self.current_account, "BackupJobId": identifier, "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn, "RecoveryPointArn": point_arn, "ResourceArn": resource_arn,
            "ResourceType": resource_type, "CreationDate": point["CreationDate"], "CompletionDate": point["CompletionDate"],
            "State": "COMPLETED", "PercentDone": "100.0", "IamRoleArn": point["IamRoleArn"], "BackupSizeInBytes": 0,
        }
        return json.dumps({"BackupJobId": identifier, "RecoveryPointArn": point_arn, "CreationDate": point["CreationDate"]})

    def describe_backup_job(self):
        job = state(self.backup_backend, "backup_jobs").get(self.uri_match["backupJobId"])
        if job is None:
            raise ResourceNotFoundException(msg=f"Backup job {self.uri_match['backupJobId']} not found")
        return compact(job)

    def vault_points(self) -> dict:
        vault = self.backup_backend.describe_backup_vault(self.uri_match["backupVaultName"])
        return state(self.backup_backend, "recovery_points").get(vault.backup_vault_name, {})

    def list_recovery_points_by_backup_vault(self):
        def when(name: str) -> float | None:
            value = self.querystring.get(name, [None])[0]
            return datetime.fromisoformat(value).replace(tzinfo=timezone.utc).timestamp() if value else None

        kind, resource = self.querystring.get("resourceType", [None])[0], self.querystring.get("resourceArn", [None])[0]
        before, after = when("createdBefore"), when("createdAfter")
        points = [
            p for p in vault_points(self).values()
            if (kind is None or p["ResourceType"] == kind) and (resource is None or p["ResourceArn"] == resource)
            and (before is None or p["CreationDate"] < before) and (after is None or p["CreationDate"] > after)
        ]
        return json.dumps({"RecoveryPoints": points})

    def describe_recovery_point(self):
        arn = unquote(self.uri_match["recoveryPointArn"])
        point = vault_points(self).get(arn)
        if point is None:
            raise ResourceNotFoundException(msg=f"Recovery point {arn} not found")
        return compact(point)

    def start_copy_job(self):
        source = self.backup_backend.describe_backup_vault(self._get_param("SourceBackupVaultName"))
        point = state(self.backup_backend, "recovery_points").get(source.backup_vault_name, {}).get(self._get_param("RecoveryPointArn"))
        if point is None:
            raise ResourceNotFoundException(msg=f"Recovery point {self._get_param('RecoveryPointArn')} not found")
        destination_arn = self._get_param("DestinationBackupVaultArn")
        region, name = destination_arn.split(":")[3], destination_arn.split(":")[-1]
        destination = backup_backends[self.current_account][region]
        vault, identifier = destination.describe_backup_vault(name), job_id()
        if point["ResourceType"] == "RDS":
            source_rds = rds_backends[self.current_account][point["RecoveryPointArn"].split(":")[3]]
            snapshot = source_rds.get_db_snapshot(point["RecoveryPointArn"])
            rds = rds_backends[self.current_account][region]
            copy_name = f"awsbackup:copyjob-{identifier.lower()}"
            rds.database_snapshots[copy_name] = DBSnapshot(
                rds, snapshot.database, copy_name, "awsbackup", [], snapshot.original_snapshot_create_time,
            )
            copy_arn = snapshot_arn(rds, copy_name)
        else:
            copy_arn = f"arn:aws:backup:{region}:{self.current_account}:recovery-point:{mock_random.uuid4()}"
        copied = add_point(
            destination, vault, RecoveryPointArn=copy_arn, SourceBackupVaultArn=source.backup_vault_arn,
            ResourceArn=point["ResourceArn"], ResourceType=point["ResourceType"], ResourceName=point.get("ResourceName"),
            IamRoleArn=self._get_param("IamRoleArn"), Lifecycle=self._get_param("Lifecycle"),
        )
        state(self.backup_backend, "copy_jobs")[identifier] = {
            "AccountId": self.current_account, "CopyJobId": identifier, "SourceBackupVaultArn": source.backup_vault_arn,
            "SourceRecoveryPointArn": point["RecoveryPointArn"], "DestinationBackupVaultArn": vault.backup_vault_arn,
            "DestinationRecoveryPointArn": copy_arn, "ResourceArn": point["ResourceArn"], "ResourceType": point["ResourceType"],
            "CreationDate": copied["CreationDate"], "CompletionDate": copied["CompletionDate"], "State": "COMPLETED",
            "IamRoleArn": copied["IamRoleArn"], "BackupSizeInBytes": 0,
        }
        return json.dumps({"CopyJobId": identifier, "CreationDate": copied["CreationDate"], "IsParent": False})

    def describe_copy_job(self):
        job = state(self.backup_backend, "copy_jobs").get(self.uri_match["copyJobId"])
        if job is None:
            raise ResourceNotFoundException(msg=f"Copy job {self.uri_match['copyJobId']} not found")
        return json.dumps({"CopyJob": {key: value for key, value in job.items() if value is not None}})

    def start_restore_job(self):
        backend, arn = self.backup_backend, self._get_param("RecoveryPointArn")
        point = next((p[arn] for p in state(backend, "recovery_points").values() if arn in p), None)
        if point is None:
            raise ResourceNotFoundException(msg=f"Recovery point {arn} not found")
        metadata = self._get_param("Metadata") or {}
        if point["ResourceType"] != "EFS" or str(metadata.get("newFileSystem")).lower() != "true":
            raise InvalidParameterValueException(msg="This emulator restores EFS recovery points to a new file system only")
        identifier = job_id()
        job = {
            "AccountId": self.current_account, "RestoreJobId": identifier, "RecoveryPointArn": arn,
            "SourceResourceArn": point["ResourceArn"], "BackupVaultArn": point["BackupVaultArn"],
            "CreationDate": unix_time(), "Status": "RUNNING", "PercentDone": "0.0", "IamRoleArn": self._get_param("IamRoleArn"),
            "ResourceType": "EFS", "RecoveryPointCreationDate": point["CreationDate"], "BackupSizeInBytes": 0,
        }
        efs = efs_backends[self.current_account][backend.region_name]
        token = metadata.get("CreationToken") or identifier
        if token in efs.creation_tokens:
            job.update(Status="FAILED", StatusMessage=f"File system with creation token {token} already exists")
        else:
            encrypted = str(metadata.get("Encrypted", "false")).lower() == "true"
            file_system = efs.create_file_system(
                creation_token=token, performance_mode=metadata.get("PerformanceMode") or "generalPurpose",
                encrypted=encrypted, kms_key_id=metadata.get("KmsKeyId"), throughput_mode="bursting",
                provisioned_throughput_in_mibps=None, availability_zone_name=None, backup=False, tags=[],
            )
            job["_created"] = f"arn:aws:elasticfilesystem:{backend.region_name}:{self.current_account}:file-system/{file_system.file_system_id}"
        state(backend, "restore_jobs")[identifier] = job
        return json.dumps({"RestoreJobId": identifier})

    def describe_restore_job(self):
        job = state(self.backup_backend, "restore_jobs").get(self.uri_match["restoreJobId"])
        if job is None:
            raise ResourceNotFoundException(msg=f"Restore job {self.uri_match['restoreJobId']} not found")
        shown = {key: value for key, value in job.items() if not key.startswith("_")}
        if job["Status"] == "RUNNING":
            # Reported running once, as a real restore is for a while; complete from then on.
            job.update(Status="COMPLETED", PercentDone="100.0", CompletionDate=unix_time(), CreatedResourceArn=job.pop("_created"))
        return compact(shown)

    describe_snapshots = RDSBackend.describe_db_snapshots

    def describe_db_snapshots(self, db_instance_identifier, db_snapshot_identifier=None, snapshot_type=None, filters=None):
        found = self.database_snapshots.get(db_snapshot_identifier or "")
        if found is not None and found.snapshot_type == "awsbackup" and snapshot_type is None and not filters:
            if db_instance_identifier in (None, found.db_instance_identifier):
                return [found]
        return describe_snapshots(self, db_instance_identifier, db_snapshot_identifier, snapshot_type, filters)

    RDSBackend.describe_db_snapshots = describe_db_snapshots
    for handler in (
        start_backup_job, describe_backup_job, list_recovery_points_by_backup_vault, describe_recovery_point,
        start_copy_job, describe_copy_job, start_restore_job, describe_restore_job,
    ):
        setattr(BackupResponse, handler.__name__, handler)



def _answer_before_moto(matches, application) -> None:
    """Serve requests that ``matches(environ)`` with the WSGI ``application``, ahead of moto's
    dispatch by host and signature (which knows only moto's own services)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatch = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        if matches(environ):
            return application(environ, start_response)
        return dispatch(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


class _ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.code, self.message, self.status, self.extra = code, message, status, extra


def _json_service(target_prefix: str, message_key: str, actions: dict, only: frozenset[str] | None = None) -> None:
    """A JSON-protocol service answered by ``actions`` (operation name -> handler taking the
    request's (account, region, body) and returning the response body), for requests whose
    X-Amz-Target starts with ``target_prefix`` (and names one of ``only``, if given: moto answers
    the service's other operations). Errors carry their type and ``message_key``."""
    import json

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from
    from werkzeug.wrappers import Response

    def reply(status: int, body: dict, error: str | None = None):
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "emulator"}
        if error:
            headers["X-Amzn-ErrorType"] = error
        return Response(json.dumps(body, default=str), status=status, headers=headers)

    def application(environ, start_response):
        action = environ["HTTP_X_AMZ_TARGET"].split(".", 1)[1]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        # Credential=<access key>/<date>/<region>/<service>/aws4_request
        credential = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        region = credential[2] if len(credential) > 2 else "us-east-1"
        account = get_account_id_from(credential[0]) if credential[0] else DEFAULT_ACCOUNT_ID
        handler = actions.get(action)
        if handler is None:
            response = reply(400, {"__type": "InvalidAction", message_key: f"{action} is not emulated"}, "InvalidAction")
        else:
            try:
                response = reply(200, handler(account, region, body))
            except _ApiError as error:
                response = reply(error.status, {"__type": error.code, message_key: error.message, **error.extra}, error.code)
        return response(environ, start_response)

    def matches(environ) -> bool:
        service, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        return service == target_prefix and (only is None or action in only)

    _answer_before_moto(matches, application)


def _patch_storage_gateway_ami_parameter() -> None:
    from collections import defaultdict

    from moto.ssm.models import Parameter, ParameterDict
    from moto.utilities.utils import load_resource

    prefix = "/aws/service/storagegateway/ami/"
    check = ParameterDict._check_loading_status

    def _check_loading_status(self, key) -> None:
        check(self, key)
        if str(key or "").startswith(prefix) and not self.__dict__.get("_storage_gateway_amis"):
            self.__dict__["_storage_gateway_amis"] = True
            linux = {p["Name"].rsplit("/", 1)[-1]: p for p in load_resource(f"ssm/resources/ami-amazon-linux-latest/{self.region_name}.json")}
            base = linux.get("amzn2-ami-hvm-x86_64-gp2")
            if base is None:
                return
            for gateway_type in ("FILE_S3", "FILE_FSX_SMB", "CACHED", "STORED", "VTL"):
                name = f"{prefix}{gateway_type}/latest"
                defaultdict.__getitem__(self, name).append(Parameter(
                    account_id=self.account_id, name=name, value=base["Value"], parameter_type="String",
                    description=None, allowed_pattern=None, keyid=None, last_modified_date=base["LastModifiedDate"],
                    version=1, data_type="text",
                ))

    ParameterDict._check_loading_status = _check_loading_status


# Instance families on the Xen hypervisor; every other current family is built on the Nitro
# System, which presents EBS volumes as NVMe block devices (EC2 User Guide, "Instances built on
# the AWS Nitro System" and "Amazon EBS and NVMe").
XEN_FAMILIES = frozenset({"c3", "c4", "d2", "f1", "g3", "g3s", "h1", "i2", "i3", "m3", "m4", "p2", "p3", "r3", "r4", "t2", "x1", "x1e"})


def _xen_instance(instance_type: str) -> bool:
    family, _, size = instance_type.partition(".")
    return family in XEN_FAMILIES and size != "metal"


def _patch_storage_gateway() -> None:
    import re
    from urllib.parse import parse_qs

    from moto.ec2.models import ec2_backends
    from moto.moto_api._internal import mock_random
    from werkzeug.wrappers import Response

    # (account, region) -> gateways and file shares by ARN, tags by ARN; activation key -> appliance
    regions: dict[tuple[str, str], dict[str, dict]] = {}
    keys: dict[str, tuple[str, str, str]] = {}  # key -> (account, region, instance id)

    def state(account: str, region: str) -> dict[str, dict]:
        return regions.setdefault((account, region), {"gateways": {}, "shares": {}, "tags": {}})

    def suffix() -> str:
        return "".join(mock_random.choice("0123456789ABCDEF") for _ in range(8))

    def appliance(environ) -> bool:
        host = environ.get("HTTP_HOST", "").split(":")[0]
        return bool(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", host)) and not host.startswith("127.") \
            and "activationRegion" in environ.get("QUERY_STRING", "")

    def activation(environ, start_response):
        # What the appliance answers on port 80 of its address (reached here as an HTTP proxy).
        host = environ["HTTP_HOST"].split(":")[0]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        region = query["activationRegion"][0]
        found = [
            (account, instance) for account, backends in list(ec2_backends.items())
            for instance in backends[region].all_instances()
            if instance.private_ip == host and instance.state == "running"
        ]
        if not found:
            return Response(f"no running instance has the address {host}\n", status=404)(environ, start_response)
        account, instance = found[0]
        key = "-".join("".join(mock_random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(5)) for _ in range(5))
        keys[key] = (account, region, instance.id)
        if "no_redirect" in query:
            return Response(key, status=200, mimetype="text/plain")(environ, start_response)
        location = f"https://console.aws.amazon.com/storagegateway/home?activationRegion={region}&activationKey={key}"
        return Response("", status=302, headers={"Location": location})(environ, start_response)

    def not_found(what: str, code: str) -> _ApiError:
        return _ApiError("InvalidGatewayRequestException", f"The specified {what} was not found.", error={"errorCode": code})

    def gateway_of(account, region, arn: str) -> dict:
        gateway = state(account, region)["gateways"].get(arn)
        if gateway is None:
            raise not_found("gateway", "GatewayNotFound")
        return gateway

    def tag_list(account, region, arn: str) -> list[dict]:
        return [{"Key": k, "Value": v} for k, v in state(account, region)["tags"].get(arn, {}).items()]

    def keep_tags(account, region, arn: str, tags) -> None:
        state(account, region)["tags"].setdefault(arn, {}).update({t["Key"]: t.get("Value", "") for t in tags or []})

    def instance_of(account, gateway: dict):
        return ec2_backends[account][gateway["Ec2InstanceRegion"]].get_instance(gateway["Ec2InstanceId"])

    def activate_gateway(account, region, body):
        found = keys.pop(body["ActivationKey"], None)
        if found is None or found[:2] != (account, body["GatewayRegion"]) or body["GatewayRegion"] != region:
            raise _ApiError("InvalidGatewayRequestException", "The activation key is not valid.", error={"errorCode": "InvalidParameters"})
        gateway_id = f"sgw-{suffix()}"
        arn = f"arn:aws:storagegateway:{region}:{account}:gateway/{gateway_id}"
        state(account, region)["gateways"][arn] = {
            "GatewayARN": arn, "GatewayId": gateway_id, "GatewayName": body["GatewayName"],
            "GatewayTimezone": body["GatewayTimezone"], "GatewayType": body.get("GatewayType", "STORED"),
            "GatewayState": "RUNNING", "Ec2InstanceId": found[2], "Ec2InstanceRegion": region,
            "EndpointType": "STANDARD", "HostEnvironment": "EC2", "_cache": [],
        }
        keep_tags(account, region, arn, body.get("Tags"))
        return {"GatewayARN": arn}

    def describe_gateway_information(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        shown = {k: v for k, v in gateway.items() if not k.startswith("_")}
        address = instance_of(account, gateway).private_ip
        return {**shown, "GatewayNetworkInterfaces": [{"Ipv4Address": address}], "Tags": tag_list(account, region, gateway["GatewayARN"])}

    def update_gateway_information(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        for key in ("GatewayName", "GatewayTimezone", "CloudWatchLogGroupARN"):
            if body.get(key) is not None:
                gateway[key] = body[key]
        return {"GatewayARN": gateway["GatewayARN"], "GatewayName": gateway["GatewayName"]}

    def delete_gateway(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        found = state(account, region)
        del found["gateways"][gateway["GatewayARN"]]
        found["tags"].pop(gateway["GatewayARN"], None)
        for arn in [a for a, s in found["shares"].items() if s["GatewayARN"] == gateway["GatewayARN"]]:
            del found["shares"][arn]
        return {"GatewayARN": gateway["GatewayARN"]}

    def describe_smb_settings(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        return {
            "GatewayARN": gateway["GatewayARN"], "ActiveDirectoryStatus": "DETACHED", "SMBGuestPasswordSet": False,
            "SMBSecurityStrategy": "MandatorySigning", "FileSharesVisible": False,
        }

    def describe_bandwidth_rate_limit(account, region, body):
        return {"GatewayARN": gateway_of(account, region, body["GatewayARN"])["GatewayARN"]}

    def describe_bandwidth_rate_limit_schedule(account, region, body):
        return {"GatewayARN": gateway_of(account, region, body["GatewayARN"])["GatewayARN"], "BandwidthRateLimitIntervals": []}

    def describe_maintenance_start_time(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        # AWS picks a weekly window at activation; this one is fixed.
        window = gateway.setdefault("_maintenance", {"HourOfDay": 2, "MinuteOfHour": 0, "DayOfWeek": 0})
        return {
            "GatewayARN": gateway["GatewayARN"], "Timezone": gateway["GatewayTimezone"], **window,
            "SoftwareUpdatePreferences": {"AutomaticUpdatePolicy": "ALL_VERSIONS"},
        }

    def update_maintenance_start_time(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        gateway["_maintenance"] = {k: body[k] for k in ("HourOfDay", "MinuteOfHour", "DayOfWeek", "DayOfMonth") if body.get(k) is not None}
        return {"GatewayARN": gateway["GatewayARN"]}

    def list_local_disks(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        instance = instance_of(account, gateway)
        disks = []
        attached = [(d, m) for d, m in sorted(instance.block_device_mapping.items()) if d != instance.root_device_name and m.volume_id]
        for number, (device, mapping) in enumerate(attached, start=1):
            # Nitro instances expose EBS volumes as NVMe devices: nvme0n1 is the root volume.
            path = device if _xen_instance(instance.instance_type) else f"/dev/nvme{number}n1"
            disks.append({
                "DiskId": mapping.volume_id, "DiskPath": path, "DiskNode": device, "DiskStatus": "present",
                "DiskSizeInBytes": int(mapping.size or 0) * 1024**3,
                "DiskAllocationType": "CACHE STORAGE" if mapping.volume_id in gateway["_cache"] else "AVAILABLE",
                "DiskAttributeList": [],
            })
        return {"GatewayARN": gateway["GatewayARN"], "Disks": disks}

    def add_cache(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        available = {d["DiskId"] for d in list_local_disks(account, region, body)["Disks"]}
        for disk in body["DiskIds"]:
            if disk not in available:
                raise _ApiError("InvalidGatewayRequestException", f"The disk {disk} is not available.", error={"errorCode": "DiskDoesNotExist"})
            if disk not in gateway["_cache"]:
                gateway["_cache"].append(disk)
        return {"GatewayARN": gateway["GatewayARN"]}

    def describe_cache(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        disks = {d["DiskId"]: d for d in list_local_disks(account, region, body)["Disks"]}
        return {
            "GatewayARN": gateway["GatewayARN"], "DiskIds": list(gateway["_cache"]),
            "CacheAllocatedInBytes": sum(disks[d]["DiskSizeInBytes"] for d in gateway["_cache"] if d in disks),
            "CacheUsedPercentage": 0.0, "CacheDirtyPercentage": 0.0, "CacheHitPercentage": 0.0, "CacheMissPercentage": 0.0,
        }

    share_keys = (
        "NFSFileShareDefaults", "KMSEncrypted", "KMSKey", "Role", "LocationARN", "DefaultStorageClass", "ObjectACL",
        "ClientList", "Squash", "ReadOnly", "GuessMIMETypeEnabled", "RequesterPays", "FileShareName", "CacheAttributes",
        "NotificationPolicy", "VPCEndpointDNSName", "BucketRegion", "AuditDestinationARN",
    )

    def share_of(account, region, arn: str) -> dict:
        share = state(account, region)["shares"].get(arn)
        if share is None:
            raise not_found("file share", "FileShareNotFound")
        return share

    def create_nfs_file_share(account, region, body):
        gateway = gateway_of(account, region, body["GatewayARN"])
        share_id = f"share-{suffix()}"
        arn = f"arn:aws:storagegateway:{region}:{account}:share/{share_id}"
        bucket = body["LocationARN"].split(":::", 1)[-1].split("/", 1)[0]
        # What AWS fills in when a setting is not given.
        share = {
            "DefaultStorageClass": "S3_STANDARD", "ObjectACL": "private", "ClientList": ["0.0.0.0/0"],
            "Squash": "RootSquash", "ReadOnly": False, "GuessMIMETypeEnabled": True, "RequesterPays": False,
            "KMSEncrypted": False, "FileShareName": bucket, "NotificationPolicy": "{}",
            "NFSFileShareDefaults": {"FileMode": "0666", "DirectoryMode": "0777", "GroupId": 65534, "OwnerId": 65534},
        }
        share.update({k: body[k] for k in share_keys if body.get(k) is not None})
        share.update({
            "FileShareARN": arn, "FileShareId": share_id, "FileShareStatus": "AVAILABLE", "GatewayARN": gateway["GatewayARN"],
            "Path": f"/{share['FileShareName']}", "FileShareType": "NFS",
        })
        state(account, region)["shares"][arn] = share
        keep_tags(account, region, arn, body.get("Tags"))
        return {"FileShareARN": arn}

    def describe_nfs_file_shares(account, region, body):
        shares = [share_of(account, region, arn) for arn in body["FileShareARNList"]]
        return {"NFSFileShareInfoList": [
            {**{k: v for k, v in share.items() if k != "FileShareType"}, "Tags": tag_list(account, region, share["FileShareARN"])}
            for share in shares
        ]}

    def update_nfs_file_share(account, region, body):
        share = share_of(account, region, body["FileShareARN"])
        share.update({k: body[k] for k in share_keys if body.get(k) is not None})
        return {"FileShareARN": share["FileShareARN"]}

    def delete_file_share(account, region, body):
        share = share_of(account, region, body["FileShareARN"])
        del state(account, region)["shares"][share["FileShareARN"]]
        state(account, region)["tags"].pop(share["FileShareARN"], None)
        return {"FileShareARN": share["FileShareARN"]}

    def list_file_shares(account, region, body):
        shares = [s for s in state(account, region)["shares"].values() if body.get("GatewayARN") in (None, s["GatewayARN"])]
        return {"FileShareInfoList": [
            {k: s[k] for k in ("FileShareType", "FileShareARN", "FileShareId", "FileShareStatus", "GatewayARN")} for s in shares
        ]}

    def list_gateways(account, region, body):
        return {"Gateways": [
            {"GatewayARN": g["GatewayARN"], "GatewayId": g["GatewayId"], "GatewayName": g["GatewayName"], "GatewayType": g["GatewayType"],
             "GatewayOperationalState": "ACTIVE", "Ec2InstanceId": g["Ec2InstanceId"], "Ec2InstanceRegion": g["Ec2InstanceRegion"],
             "HostEnvironment": "EC2"}
            for g in state(account, region)["gateways"].values()
        ]}

    def known(account, region, arn: str) -> str:
        found = state(account, region)
        if arn not in found["gateways"] and arn not in found["shares"]:
            raise _ApiError("InvalidGatewayRequestException", f"The resource {arn} was not found.", error={"errorCode": "NotFound"})
        return arn

    def list_tags_for_resource(account, region, body):
        arn = known(account, region, body["ResourceARN"])
        return {"ResourceARN": arn, "Tags": tag_list(account, region, arn)}

    def add_tags_to_resource(account, region, body):
        keep_tags(account, region, known(account, region, body["ResourceARN"]), body.get("Tags"))
        return {"ResourceARN": body["ResourceARN"]}

    def remove_tags_from_resource(account, region, body):
        current = state(account, region)["tags"].get(known(account, region, body["ResourceARN"]), {})
        for key in body.get("TagKeys") or []:
            current.pop(key, None)
        return {"ResourceARN": body["ResourceARN"]}

    handlers = (
        activate_gateway, describe_gateway_information, update_gateway_information, delete_gateway, describe_smb_settings,
        describe_bandwidth_rate_limit, describe_bandwidth_rate_limit_schedule, describe_maintenance_start_time,
        update_maintenance_start_time, list_local_disks, add_cache, describe_cache, create_nfs_file_share,
        describe_nfs_file_shares, update_nfs_file_share, delete_file_share, list_file_shares, list_gateways,
        list_tags_for_resource, add_tags_to_resource, remove_tags_from_resource,
    )
    operation = {"smb": "SMB", "nfs": "NFS"}
    _json_service("StorageGateway_20130630", "message", {
        "".join(operation.get(part, part.capitalize()) for part in handler.__name__.split("_")): handler for handler in handlers
    })
    _answer_before_moto(appliance, activation)


def _patch_appstream() -> None:
    from moto.core.utils import unix_time

    # (account, region) -> fleets and stacks by name, users by (authentication type, name),
    # fleet-stack and user-stack associations, tags by ARN
    regions: dict[tuple[str, str], dict] = {}

    def state(account: str, region: str) -> dict:
        return regions.setdefault((account, region), {
            "fleets": {}, "stacks": {}, "users": {}, "fleet_stacks": set(), "user_stacks": set(), "tags": {},
        })

    def arn(account, region, kind: str, name: str) -> str:
        return f"arn:aws:appstream:{region}:{account}:{kind}/{name}"

    def not_found(kind: str, name: str) -> _ApiError:
        return _ApiError("ResourceNotFoundException", f"The {kind} {name} does not exist.")

    def keep_tags(account, region, resource: str, tags) -> None:
        state(account, region)["tags"].setdefault(resource, {}).update(tags or {})

    def fleet_of(account, region, name: str) -> dict:
        fleet = state(account, region)["fleets"].get(name)
        if fleet is None:
            raise not_found("fleet", name)
        return fleet

    def stack_of(account, region, name: str) -> dict:
        stack = state(account, region)["stacks"].get(name)
        if stack is None:
            raise not_found("stack", name)
        return stack

    fleet_keys = (
        "ImageName", "ImageArn", "InstanceType", "FleetType", "VpcConfig", "MaxUserDurationInSeconds",
        "DisconnectTimeoutInSeconds", "Description", "DisplayName", "EnableDefaultInternetAccess", "DomainJoinInfo",
        "IdleDisconnectTimeoutInSeconds", "IamRoleArn", "StreamView", "Platform", "MaxConcurrentSessions",
        "UsbDeviceFilterStrings", "SessionScriptS3Location", "MaxSessionsPerInstance",
    )

    def shown_fleet(account, region, fleet: dict) -> dict:
        desired = fleet["_capacity"].get("DesiredInstances", 0)
        running = desired if fleet["State"] == "RUNNING" else 0
        return {
            **{k: v for k, v in fleet.items() if not k.startswith("_")},
            "ComputeCapacityStatus": {"Desired": desired, "Running": running, "InUse": 0, "Available": running},
        }

    def create_fleet(account, region, body):
        found = state(account, region)
        if body["Name"] in found["fleets"]:
            raise _ApiError("ResourceAlreadyExistsException", f"The fleet {body['Name']} already exists.")
        fleet = {
            # What AWS fills in when a setting is not given.
            "FleetType": "ON_DEMAND", "StreamView": "APP", "EnableDefaultInternetAccess": False,
            "MaxUserDurationInSeconds": 57600, "DisconnectTimeoutInSeconds": 900, "IdleDisconnectTimeoutInSeconds": 0,
            "Platform": "WINDOWS_SERVER_2019",
            **{k: body[k] for k in fleet_keys if body.get(k) is not None},
            "Name": body["Name"], "Arn": arn(account, region, "fleet", body["Name"]), "State": "STOPPED",
            "CreatedTime": unix_time(), "FleetErrors": [], "_capacity": body.get("ComputeCapacity") or {},
        }
        if "ImageArn" not in fleet:
            fleet["ImageArn"] = arn(account, region, "image", fleet["ImageName"])
        found["fleets"][fleet["Name"]] = fleet
        keep_tags(account, region, fleet["Arn"], body.get("Tags"))
        return {"Fleet": shown_fleet(account, region, fleet)}

    def describe_fleets(account, region, body):
        names = body.get("Names") or list(state(account, region)["fleets"])
        return {"Fleets": [shown_fleet(account, region, fleet_of(account, region, name)) for name in names]}

    def update_fleet(account, region, body):
        fleet = fleet_of(account, region, body["Name"])
        changes = {k: body[k] for k in fleet_keys if body.get(k) is not None}
        if fleet["State"] != "STOPPED" and {"VpcConfig", "InstanceType", "IamRoleArn", "DomainJoinInfo"} & set(changes):
            raise _ApiError("InvalidParameterCombinationException", "The fleet must be stopped to change these settings.")
        fleet.update(changes)
        if body.get("ComputeCapacity"):
            fleet["_capacity"] = body["ComputeCapacity"]
        return {"Fleet": shown_fleet(account, region, fleet)}

    def start_fleet(account, region, body):
        fleet_of(account, region, body["Name"])["State"] = "RUNNING"
        return {}

    def stop_fleet(account, region, body):
        fleet_of(account, region, body["Name"])["State"] = "STOPPED"
        return {}

    def delete_fleet(account, region, body):
        found, fleet = state(account, region), fleet_of(account, region, body["Name"])
        if fleet["State"] != "STOPPED":
            raise _ApiError("ResourceInUseException", f"The fleet {fleet['Name']} must be stopped before it is deleted.")
        if any(f == fleet["Name"] for f, _ in found["fleet_stacks"]):
            raise _ApiError("ResourceInUseException", f"The fleet {fleet['Name']} is associated with a stack.")
        del found["fleets"][fleet["Name"]]
        found["tags"].pop(fleet["Arn"], None)
        return {}

    stack_keys = (
        "Description", "DisplayName", "StorageConnectors", "RedirectURL", "FeedbackURL", "UserSettings",
        "AccessEndpoints", "EmbedHostDomains", "StreamingExperienceSettings",
    )

    def application_settings(account, region, stack: dict, given) -> None:
        if given is None:
            return
        settings = {"Enabled": bool(given.get("Enabled"))}
        if settings["Enabled"]:
            # AWS keeps the settings in a bucket it creates for the account and region.
            settings.update(SettingsGroup=given.get("SettingsGroup", ""), S3BucketName=f"appstream-app-settings-{region}-{account}-emulated")
        stack["ApplicationSettings"] = settings

    def create_stack(account, region, body):
        found = state(account, region)
        if body["Name"] in found["stacks"]:
            raise _ApiError("ResourceAlreadyExistsException", f"The stack {body['Name']} already exists.")
        stack = {
            **{k: body[k] for k in stack_keys if body.get(k) is not None},
            "Name": body["Name"], "Arn": arn(account, region, "stack", body["Name"]), "CreatedTime": unix_time(),
            "StackErrors": [], "ApplicationSettings": {"Enabled": False},
        }
        application_settings(account, region, stack, body.get("ApplicationSettings"))
        found["stacks"][stack["Name"]] = stack
        keep_tags(account, region, stack["Arn"], body.get("Tags"))
        return {"Stack": stack}

    def describe_stacks(account, region, body):
        names = body.get("Names") or list(state(account, region)["stacks"])
        return {"Stacks": [stack_of(account, region, name) for name in names]}

    attribute_keys = {
        "STORAGE_CONNECTORS": "StorageConnectors", "REDIRECT_URL": "RedirectURL", "FEEDBACK_URL": "FeedbackURL",
        "USER_SETTINGS": "UserSettings", "EMBED_HOST_DOMAINS": "EmbedHostDomains", "ACCESS_ENDPOINTS": "AccessEndpoints",
        "STREAMING_EXPERIENCE_SETTINGS": "StreamingExperienceSettings", "THEME_NAME": "ThemeName",
    }

    def update_stack(account, region, body):
        stack = stack_of(account, region, body["Name"])
        for attribute in body.get("AttributesToDelete") or []:
            if attribute.startswith("STORAGE_CONNECTOR_"):
                kind = attribute.removeprefix("STORAGE_CONNECTOR_")
                stack["StorageConnectors"] = [c for c in stack.get("StorageConnectors", []) if c["ConnectorType"] != kind]
            else:
                stack.pop(attribute_keys.get(attribute, ""), None)
        stack.update({k: body[k] for k in stack_keys if body.get(k) is not None})
        application_settings(account, region, stack, body.get("ApplicationSettings"))
        return {"Stack": stack}

    def delete_stack(account, region, body):
        found, stack = state(account, region), stack_of(account, region, body["Name"])
        if any(s == stack["Name"] for _, s in found["fleet_stacks"]):
            raise _ApiError("ResourceInUseException", f"The stack {stack['Name']} is associated with a fleet.")
        found["user_stacks"] = {a for a in found["user_stacks"] if a[0] != stack["Name"]}
        del found["stacks"][stack["Name"]]
        found["tags"].pop(stack["Arn"], None)
        return {}

    def associate_fleet(account, region, body):
        fleet, stack = fleet_of(account, region, body["FleetName"]), stack_of(account, region, body["StackName"])
        state(account, region)["fleet_stacks"].add((fleet["Name"], stack["Name"]))
        return {}

    def disassociate_fleet(account, region, body):
        state(account, region)["fleet_stacks"].discard((body["FleetName"], body["StackName"]))
        return {}

    def list_associated_stacks(account, region, body):
        return {"Names": sorted(s for f, s in state(account, region)["fleet_stacks"] if f == body["FleetName"])}

    def list_associated_fleets(account, region, body):
        return {"Names": sorted(f for f, s in state(account, region)["fleet_stacks"] if s == body["StackName"])}

    def user_of(account, region, body) -> dict:
        user = state(account, region)["users"].get((body["AuthenticationType"], body["UserName"]))
        if user is None:
            raise not_found("user", body["UserName"])
        return user

    def create_user(account, region, body):
        found, key = state(account, region), (body["AuthenticationType"], body["UserName"])
        if key in found["users"]:
            raise _ApiError("ResourceAlreadyExistsException", f"The user {body['UserName']} already exists.")
        found["users"][key] = {
            "Arn": arn(account, region, "user", f"{key[0]}/{key[1]}"), "UserName": key[1], "AuthenticationType": key[0],
            "Enabled": True, "Status": "FORCE_CHANGE_PASSWORD", "CreatedTime": unix_time(),
            **{k: body[k] for k in ("FirstName", "LastName") if body.get(k)},
        }
        return {}

    def describe_users(account, region, body):
        return {"Users": [u for (kind, _), u in state(account, region)["users"].items() if kind == body["AuthenticationType"]]}

    def enable_user(account, region, body):
        user_of(account, region, body)["Enabled"] = True
        return {}

    def disable_user(account, region, body):
        user_of(account, region, body)["Enabled"] = False
        return {}

    def delete_user(account, region, body):
        found, user = state(account, region), user_of(account, region, body)
        del found["users"][(user["AuthenticationType"], user["UserName"])]
        found["user_stacks"] = {a for a in found["user_stacks"] if a[1:] != (user["UserName"], user["AuthenticationType"])}
        return {}

    def batch_associate_user_stack(account, region, body):
        errors = []
        for association in body["UserStackAssociations"]:
            try:
                stack_of(account, region, association["StackName"])
                user_of(account, region, association)
            except _ApiError as error:
                errors.append({"UserStackAssociation": association, "ErrorCode": "STACK_NOT_FOUND" if "stack" in error.message else "USER_NAME_NOT_FOUND", "ErrorMessage": error.message})
                continue
            state(account, region)["user_stacks"].add((association["StackName"], association["UserName"], association["AuthenticationType"]))
        return {"errors": errors}

    def batch_disassociate_user_stack(account, region, body):
        for association in body["UserStackAssociations"]:
            state(account, region)["user_stacks"].discard((association["StackName"], association["UserName"], association["AuthenticationType"]))
        return {"errors": []}

    def describe_user_stack_associations(account, region, body):
        return {"UserStackAssociations": [
            {"StackName": stack, "UserName": user, "AuthenticationType": kind}
            for stack, user, kind in sorted(state(account, region)["user_stacks"])
            if body.get("StackName") in (None, stack) and body.get("UserName") in (None, user)
            and body.get("AuthenticationType") in (None, kind)
        ]}

    def resource_tags(account, region, resource: str) -> dict:
        found = state(account, region)
        kind, _, name = resource.split(":", 5)[-1].partition("/")
        if name not in found.get({"fleet": "fleets", "stack": "stacks"}.get(kind, ""), {}):
            raise not_found(kind, name)
        return found["tags"].setdefault(resource, {})

    def list_tags_for_resource(account, region, body):
        return {"Tags": resource_tags(account, region, body["ResourceArn"])}

    def tag_resource(account, region, body):
        resource_tags(account, region, body["ResourceArn"]).update(body.get("Tags") or {})
        return {}

    def untag_resource(account, region, body):
        current = resource_tags(account, region, body["ResourceArn"])
        for key in body.get("TagKeys") or []:
            current.pop(key, None)
        return {}

    handlers = (
        create_fleet, describe_fleets, update_fleet, start_fleet, stop_fleet, delete_fleet, create_stack, describe_stacks,
        update_stack, delete_stack, associate_fleet, disassociate_fleet, list_associated_stacks, list_associated_fleets,
        create_user, describe_users, enable_user, disable_user, delete_user, batch_associate_user_stack,
        batch_disassociate_user_stack, describe_user_stack_associations, list_tags_for_resource, tag_resource, untag_resource,
    )
    _json_service("PhotonAdminProxyService", "Message", {
        "".join(part.capitalize() for part in handler.__name__.split("_")): handler for handler in handlers
    })


def _patch_rds_resource_ids() -> None:
    import string

    from moto.moto_api._internal import mock_random
    from moto.rds.models import DBInstance

    init = DBInstance.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        alphabet = string.ascii_uppercase + string.digits
        self.dbi_resource_id = "db-" + "".join(mock_random.choice(alphabet) for _ in range(26))

    DBInstance.__init__ = __init__


def _patch_ecr_pull_through_cache() -> None:
    import re
    from datetime import datetime, timezone

    from moto.secretsmanager.models import secretsmanager_backends

    prefix_pattern = re.compile(r"^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*/?|ROOT)$")
    registries = {"registry-1.docker.io": "docker-hub", "public.ecr.aws": "ecr-public", "quay.io": "quay",
                  "ghcr.io": "github-container-registry", "registry.k8s.io": "k8s"}
    rules: dict[tuple[str, str], dict[str, dict]] = {}

    def secret_exists(account: str, region: str, arn: str) -> bool:
        secrets = secretsmanager_backends[account][region].secrets
        name = arn.split(":secret:", 1)[-1]
        return arn in secrets or name in secrets or re.sub(r"-[A-Za-z0-9]{6}$", "", name) in secrets

    def create(account, region, body):
        prefix, url = body.get("ecrRepositoryPrefix", ""), body.get("upstreamRegistryUrl", "")
        if not (2 <= len(prefix) <= 30 and prefix_pattern.match(prefix)):
            raise _ApiError("InvalidParameterException", f"Invalid parameter at 'ecrRepositoryPrefix': {prefix!r}")
        if url not in registries:
            raise _ApiError("UnsupportedUpstreamRegistryException", f"The upstream registry {url} is not supported.")
        credential = body.get("credentialArn")
        if url == "registry-1.docker.io" and not credential:
            raise _ApiError("InvalidParameterException", "A credentialArn is required for upstream registry registry-1.docker.io.")
        if credential:
            if f":secretsmanager:{region}:" not in credential or ":secret:ecr-pullthroughcache/" not in credential:
                raise _ApiError("InvalidParameterException", f"Invalid parameter at 'credentialArn': {credential}")
            if not secret_exists(account, region, credential):
                raise _ApiError("SecretNotFoundException", f"The secret {credential} could not be found.")
        store = rules.setdefault((account, region), {})
        if prefix in store:
            raise _ApiError("PullThroughCacheRuleAlreadyExistsException", f"A pull through cache rule with prefix {prefix} already exists.")
        rule = {
            "ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": url, "registryId": account,
            "createdAt": datetime.now(timezone.utc).timestamp(), "upstreamRegistry": registries[url],
            # Only ECR-to-ECR rules carry an upstream prefix: a Docker Hub rule is described without
            # one (the provider's basic acceptance test re-plans such a rule empty).
            **({"upstreamRepositoryPrefix": body["upstreamRepositoryPrefix"]} if body.get("upstreamRepositoryPrefix") else {}),
            **({"credentialArn": credential} if credential else {}),
            **({"customRoleArn": body["customRoleArn"]} if body.get("customRoleArn") else {}),
        }
        store[prefix] = rule
        return rule

    def describe(account, region, body):
        store = rules.get((account, region), {})
        wanted = body.get("ecrRepositoryPrefixes")
        for prefix in wanted or ():
            if prefix not in store:
                raise _ApiError("PullThroughCacheRuleNotFoundException", f"The pull through cache rule with prefix {prefix} was not found.")
        return {"pullThroughCacheRules": [store[p] for p in (wanted or sorted(store))]}

    def delete(account, region, body):
        store = rules.get((account, region), {})
        prefix = body.get("ecrRepositoryPrefix", "")
        if prefix not in store:
            raise _ApiError("PullThroughCacheRuleNotFoundException", f"The pull through cache rule with prefix {prefix} was not found.")
        return store.pop(prefix)

    actions = {"CreatePullThroughCacheRule": create, "DescribePullThroughCacheRules": describe, "DeletePullThroughCacheRule": delete}
    _json_service("AmazonEC2ContainerRegistry_V20150921", "message", actions, only=frozenset(actions))


def _patch_elasticache_replication_group_members() -> None:
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    create_group, delete_group = ElastiCacheBackend.create_replication_group, ElastiCacheBackend.delete_replication_group

    def default_parameter_group(engine: str, version: str | None) -> str:
        return f"default.{engine}{(version or '7').split('.')[0]}"

    def create_replication_group(self, **kwargs):
        if (kwargs["num_cache_clusters"] or 0) > 1 and not kwargs["replicas_per_node_group"]:
            # moto counts the members of a cluster-mode-disabled group from ReplicasPerNodeGroup
            # only; NumCacheClusters is the primary and its replicas (CreateReplicationGroup).
            kwargs["replicas_per_node_group"] = kwargs["num_cache_clusters"] - 1
        group = create_group(self, **kwargs)
        if group.cluster_mode == "enabled":
            return group
        parameter_group = kwargs["cache_parameter_group_name"] or default_parameter_group(group.engine, kwargs["engine_version"])
        members = group.node_groups[0]["node_group_members"]
        subnet_group = self.cache_subnet_groups.get(kwargs["cache_subnet_group_name"] or "")
        subnets = subnet_group.subnets if subnet_group else []
        subnet_zones = [n["subnet_availability_zone"] for n in subnets if isinstance(n.get("subnet_availability_zone"), str)]
        if subnet_zones and not kwargs["preferred_cache_cluster_azs"]:
            # Without preferred zones AWS spreads the members over the subnet group's zones.
            for index, node in enumerate(members):
                node["preferred_availability_zone"] = subnet_zones[index % len(subnet_zones)]
        zones = [m["preferred_availability_zone"] for m in members]
        for index, member in enumerate(group.member_clusters):
            cluster = CacheCluster(
                account_id=self.account_id, region_name=self.region_name, cache_cluster_id=member,
                cache_node_type=group.cache_node_type, replication_group_id=group.replication_group_id, az_mode=None,
                preferred_availability_zone=zones[index] if index < len(zones) else None, num_cache_nodes=1,
                engine=group.engine, engine_version=kwargs["engine_version"], cache_parameter_group_name=parameter_group,
                cache_subnet_group_name=kwargs["cache_subnet_group_name"],
                transit_encryption_enabled=group.transit_encryption_enabled, network_type=group.network_type,
                ip_discovery=group.ip_discovery, snapshot_name=None,
                preferred_maintenance_window=kwargs["preferred_maintenance_window"] or "sun:05:00-sun:06:00",
                port=group.port, notification_topic_arn=kwargs["notification_topic_arn"],
                auto_minor_version_upgrade=kwargs["auto_minor_version_upgrade"],
                snapshot_retention_limit=group.snapshot_retention_limit, snapshot_window=group.snapshot_window,
                auth_token=kwargs["auth_token"], outpost_mode=None, preferred_outpost_arn=None,
                preferred_availability_zones=None, cache_security_group_names=None,
                security_group_ids=kwargs["security_group_ids"], tags=None, snapshot_arns=None, preferred_outpost_arns=None,
                log_delivery_configurations=[], cache_node_ids_to_remove=None, cache_node_ids_to_reboot=None,
            )
            cluster.replication_group_id = group.replication_group_id
            cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
            cluster.transit_encryption_mode = group.transit_encryption_mode or ("required" if group.transit_encryption_enabled else None)
            cluster.security_groups = [{"SecurityGroupId": g, "Status": "active"} for g in kwargs["security_group_ids"] or []]
            cluster.cache_parameter_group = {"CacheParameterGroupName": parameter_group, "ParameterApplyStatus": "in-sync"}
            self.cache_clusters[member] = cluster
        if group.transit_encryption_enabled and not group.transit_encryption_mode:
            group.transit_encryption_mode = "required"
        return group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = delete_group(self, replication_group_id, retain_primary_cluster)
        for member in list(group.member_clusters):
            self.cache_clusters.pop(member, None)
        self.replication_groups.pop(replication_group_id, None)
        return group

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    def delete_cache_subnet_group(self) -> ActionResult:
        backend, name = self.elasticache_backend, self._get_param("CacheSubnetGroupName")
        if name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(name)
        users = [c for c in backend.cache_clusters.values() if c.cache_subnet_group_name == name]
        if users:
            raise CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use by a cache cluster.")
        backend.cache_subnet_groups.pop(name)
        return ActionResult({})

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


def main(argv: list[str]) -> None:
    _patch_bucket_policy_conditions()
    _patch_efs_backup_policy()
    _patch_efs_update_file_system()
    _patch_application_autoscaling_tags()
    _patch_security_group_rule_description()
    _patch_ecs_capacity_provider_strategy()
    _patch_launch_template_tags()
    _patch_datasync()
    _patch_ec2_monitoring()
    _patch_instance_network_interface_spec()
    _patch_instance_maintenance_options()
    _patch_backup_selections_notifications_policies()
    _patch_backup_jobs_and_restores()
    _patch_rds_resource_ids()
    _patch_storage_gateway_ami_parameter()
    _patch_storage_gateway()
    _patch_appstream()
    _patch_ecr_pull_through_cache()
    _patch_elasticache_replication_group_members()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
