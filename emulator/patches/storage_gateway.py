"""Storage Gateway (S3 File Gateway): the appliance's AMI parameter, its activation key and the API
the provider uses. A gateway is the EC2 instance it was activated from."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from emulator.patches import Patcher, patch
from emulator.patches._wsgi import ApiError, answer_before_moto, json_service

_AMI_PREFIX = "/aws/service/storagegateway/ami/"


@patch(
    "storage gateway appliance image",
    (
        "moto 5.2.5 has AWS's public SSM parameters for the Amazon Linux and ECS-optimized AMIs but "
        "not /aws/service/storagegateway/ami/<type>/latest, so the S3 File Gateway appliance has no "
        "image to launch. Here those parameters name the region's Amazon Linux 2 AMI in moto (an "
        "image moto launches; the appliance's software is what the next patch stands in for)."
    ),
)
def appliance_image(patcher: Patcher) -> None:
    from collections import defaultdict

    from moto.ssm.models import Parameter, ParameterDict
    from moto.utilities.utils import load_resource

    check = ParameterDict._check_loading_status

    def _check_loading_status(self, key) -> None:
        check(self, key)
        if str(key or "").startswith(_AMI_PREFIX) and not self.__dict__.get("_storage_gateway_amis"):
            self.__dict__["_storage_gateway_amis"] = True
            linux = {
                p["Name"].rsplit("/", 1)[-1]: p
                for p in load_resource(f"ssm/resources/ami-amazon-linux-latest/{self.region_name}.json")
            }
            base = linux.get("amzn2-ami-hvm-x86_64-gp2")
            if base is None:
                return
            for gateway_type in ("FILE_S3", "FILE_FSX_SMB", "CACHED", "STORED", "VTL"):
                name = f"{_AMI_PREFIX}{gateway_type}/latest"
                defaultdict.__getitem__(self, name).append(
                    Parameter(
                        account_id=self.account_id,
                        name=name,
                        value=base["Value"],
                        parameter_type="String",
                        description=None,
                        allowed_pattern=None,
                        keyid=None,
                        last_modified_date=base["LastModifiedDate"],
                        version=1,
                        data_type="text",
                    )
                )

    patcher.setattr(ParameterDict, "_check_loading_status", _check_loading_status)


# Instance families on the Xen hypervisor; every other current family is built on the Nitro
# System, which presents EBS volumes as NVMe block devices (EC2 User Guide, "Instances built on
# the AWS Nitro System" and "Amazon EBS and NVMe").
XEN_FAMILIES = frozenset(
    {"c3", "c4", "d2", "f1", "g3", "g3s", "h1", "i2", "i3", "m3", "m4", "p2", "p3", "r3", "r4", "t2", "x1", "x1e"}
)


def _xen_instance(instance_type: str) -> bool:
    family, _, size = instance_type.partition(".")
    return family in XEN_FAMILIES and size != "metal"


# (account, region) -> gateways and file shares by ARN, tags by ARN; activation key -> appliance.
# Emptied when the patch is applied.
_regions: dict[tuple[str, str], dict[str, dict]] = {}
_keys: dict[str, tuple[str, str, str]] = {}  # key -> (account, region, instance id)


def _state(account: str, region: str) -> dict[str, dict]:
    return _regions.setdefault((account, region), {"gateways": {}, "shares": {}, "tags": {}})


def _suffix() -> str:
    from moto.moto_api._internal import mock_random

    return "".join(mock_random.choice("0123456789ABCDEF") for _ in range(8))


# The appliance's activation key


def _appliance(environ) -> bool:
    host = environ.get("HTTP_HOST", "").split(":")[0]
    return (
        bool(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", host))
        and not host.startswith("127.")
        and "activationRegion" in environ.get("QUERY_STRING", "")
    )


def _activation(environ, start_response):
    # What the appliance answers on port 80 of its address (reached here as an HTTP proxy).
    from moto.ec2.models import ec2_backends
    from moto.moto_api._internal import mock_random
    from werkzeug.wrappers import Response

    host = environ["HTTP_HOST"].split(":")[0]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    region = query["activationRegion"][0]
    found = [
        (account, instance)
        for account, backends in list(ec2_backends.items())
        for instance in backends[region].all_instances()
        if instance.private_ip == host and instance.state == "running"
    ]
    if not found:
        return Response(f"no running instance has the address {host}\n", status=404)(environ, start_response)
    account, instance = found[0]
    key = "-".join("".join(mock_random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(5)) for _ in range(5))
    _keys[key] = (account, region, instance.id)
    if "no_redirect" in query:
        return Response(key, status=200, mimetype="text/plain")(environ, start_response)
    location = f"https://console.aws.amazon.com/storagegateway/home?activationRegion={region}&activationKey={key}"
    return Response("", status=302, headers={"Location": location})(environ, start_response)


# Gateways


def _not_found(what: str, code: str) -> ApiError:
    return ApiError("InvalidGatewayRequestException", f"The specified {what} was not found.", error={"errorCode": code})


def _gateway_of(account, region, arn: str) -> dict:
    gateway = _state(account, region)["gateways"].get(arn)
    if gateway is None:
        raise _not_found("gateway", "GatewayNotFound")
    return gateway


def _tag_list(account, region, arn: str) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in _state(account, region)["tags"].get(arn, {}).items()]


def _keep_tags(account, region, arn: str, tags) -> None:
    _state(account, region)["tags"].setdefault(arn, {}).update({t["Key"]: t.get("Value", "") for t in tags or []})


def _instance_of(account, gateway: dict):
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][gateway["Ec2InstanceRegion"]].get_instance(gateway["Ec2InstanceId"])


def activate_gateway(account, region, body):
    found = _keys.pop(body["ActivationKey"], None)
    if found is None or found[:2] != (account, body["GatewayRegion"]) or body["GatewayRegion"] != region:
        raise ApiError(
            "InvalidGatewayRequestException", "The activation key is not valid.", error={"errorCode": "InvalidParameters"}
        )
    gateway_id = f"sgw-{_suffix()}"
    arn = f"arn:aws:storagegateway:{region}:{account}:gateway/{gateway_id}"
    _state(account, region)["gateways"][arn] = {
        "GatewayARN": arn,
        "GatewayId": gateway_id,
        "GatewayName": body["GatewayName"],
        "GatewayTimezone": body["GatewayTimezone"],
        "GatewayType": body.get("GatewayType", "STORED"),
        "GatewayState": "RUNNING",
        "Ec2InstanceId": found[2],
        "Ec2InstanceRegion": region,
        "EndpointType": "STANDARD",
        "HostEnvironment": "EC2",
        "_cache": [],
    }
    _keep_tags(account, region, arn, body.get("Tags"))
    return {"GatewayARN": arn}


def describe_gateway_information(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    shown = {k: v for k, v in gateway.items() if not k.startswith("_")}
    address = _instance_of(account, gateway).private_ip
    return {
        **shown,
        "GatewayNetworkInterfaces": [{"Ipv4Address": address}],
        "Tags": _tag_list(account, region, gateway["GatewayARN"]),
    }


def update_gateway_information(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    for key in ("GatewayName", "GatewayTimezone", "CloudWatchLogGroupARN"):
        if body.get(key) is not None:
            gateway[key] = body[key]
    return {"GatewayARN": gateway["GatewayARN"], "GatewayName": gateway["GatewayName"]}


def delete_gateway(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    found = _state(account, region)
    del found["gateways"][gateway["GatewayARN"]]
    found["tags"].pop(gateway["GatewayARN"], None)
    for arn in [a for a, s in found["shares"].items() if s["GatewayARN"] == gateway["GatewayARN"]]:
        del found["shares"][arn]
    return {"GatewayARN": gateway["GatewayARN"]}


def describe_smb_settings(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    return {
        "GatewayARN": gateway["GatewayARN"],
        "ActiveDirectoryStatus": "DETACHED",
        "SMBGuestPasswordSet": False,
        "SMBSecurityStrategy": "MandatorySigning",
        "FileSharesVisible": False,
    }


def describe_bandwidth_rate_limit(account, region, body):
    return {"GatewayARN": _gateway_of(account, region, body["GatewayARN"])["GatewayARN"]}


def describe_bandwidth_rate_limit_schedule(account, region, body):
    return {"GatewayARN": _gateway_of(account, region, body["GatewayARN"])["GatewayARN"], "BandwidthRateLimitIntervals": []}


def describe_maintenance_start_time(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    # AWS picks a weekly window at activation; this one is fixed.
    window = gateway.setdefault("_maintenance", {"HourOfDay": 2, "MinuteOfHour": 0, "DayOfWeek": 0})
    return {
        "GatewayARN": gateway["GatewayARN"],
        "Timezone": gateway["GatewayTimezone"],
        **window,
        "SoftwareUpdatePreferences": {"AutomaticUpdatePolicy": "ALL_VERSIONS"},
    }


def update_maintenance_start_time(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    gateway["_maintenance"] = {
        k: body[k] for k in ("HourOfDay", "MinuteOfHour", "DayOfWeek", "DayOfMonth") if body.get(k) is not None
    }
    return {"GatewayARN": gateway["GatewayARN"]}


# Local disks and the cache


def list_local_disks(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    instance = _instance_of(account, gateway)
    disks = []
    attached = [
        (d, m) for d, m in sorted(instance.block_device_mapping.items()) if d != instance.root_device_name and m.volume_id
    ]
    for number, (device, mapping) in enumerate(attached, start=1):
        # Nitro instances expose EBS volumes as NVMe devices: nvme0n1 is the root volume.
        path = device if _xen_instance(instance.instance_type) else f"/dev/nvme{number}n1"
        disks.append(
            {
                "DiskId": mapping.volume_id,
                "DiskPath": path,
                "DiskNode": device,
                "DiskStatus": "present",
                "DiskSizeInBytes": int(mapping.size or 0) * 1024**3,
                "DiskAllocationType": "CACHE STORAGE" if mapping.volume_id in gateway["_cache"] else "AVAILABLE",
                "DiskAttributeList": [],
            }
        )
    return {"GatewayARN": gateway["GatewayARN"], "Disks": disks}


def add_cache(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    available = {d["DiskId"] for d in list_local_disks(account, region, body)["Disks"]}
    for disk in body["DiskIds"]:
        if disk not in available:
            raise ApiError(
                "InvalidGatewayRequestException", f"The disk {disk} is not available.", error={"errorCode": "DiskDoesNotExist"}
            )
        if disk not in gateway["_cache"]:
            gateway["_cache"].append(disk)
    return {"GatewayARN": gateway["GatewayARN"]}


def describe_cache(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    disks = {d["DiskId"]: d for d in list_local_disks(account, region, body)["Disks"]}
    return {
        "GatewayARN": gateway["GatewayARN"],
        "DiskIds": list(gateway["_cache"]),
        "CacheAllocatedInBytes": sum(disks[d]["DiskSizeInBytes"] for d in gateway["_cache"] if d in disks),
        "CacheUsedPercentage": 0.0,
        "CacheDirtyPercentage": 0.0,
        "CacheHitPercentage": 0.0,
        "CacheMissPercentage": 0.0,
    }


# NFS file shares

_SHARE_KEYS = (
    "NFSFileShareDefaults",
    "KMSEncrypted",
    "KMSKey",
    "Role",
    "LocationARN",
    "DefaultStorageClass",
    "ObjectACL",
    "ClientList",
    "Squash",
    "ReadOnly",
    "GuessMIMETypeEnabled",
    "RequesterPays",
    "FileShareName",
    "CacheAttributes",
    "NotificationPolicy",
    "VPCEndpointDNSName",
    "BucketRegion",
    "AuditDestinationARN",
)


def _share_of(account, region, arn: str) -> dict:
    share = _state(account, region)["shares"].get(arn)
    if share is None:
        raise _not_found("file share", "FileShareNotFound")
    return share


def create_nfs_file_share(account, region, body):
    gateway = _gateway_of(account, region, body["GatewayARN"])
    share_id = f"share-{_suffix()}"
    arn = f"arn:aws:storagegateway:{region}:{account}:share/{share_id}"
    bucket = body["LocationARN"].split(":::", 1)[-1].split("/", 1)[0]
    # What AWS fills in when a setting is not given.
    share = {
        "DefaultStorageClass": "S3_STANDARD",
        "ObjectACL": "private",
        "ClientList": ["0.0.0.0/0"],
        "Squash": "RootSquash",
        "ReadOnly": False,
        "GuessMIMETypeEnabled": True,
        "RequesterPays": False,
        "KMSEncrypted": False,
        "FileShareName": bucket,
        "NotificationPolicy": "{}",
        "NFSFileShareDefaults": {"FileMode": "0666", "DirectoryMode": "0777", "GroupId": 65534, "OwnerId": 65534},
    }
    share.update({k: body[k] for k in _SHARE_KEYS if body.get(k) is not None})
    share.update(
        {
            "FileShareARN": arn,
            "FileShareId": share_id,
            "FileShareStatus": "AVAILABLE",
            "GatewayARN": gateway["GatewayARN"],
            "Path": f"/{share['FileShareName']}",
            "FileShareType": "NFS",
        }
    )
    _state(account, region)["shares"][arn] = share
    _keep_tags(account, region, arn, body.get("Tags"))
    return {"FileShareARN": arn}


def describe_nfs_file_shares(account, region, body):
    shares = [_share_of(account, region, arn) for arn in body["FileShareARNList"]]
    return {
        "NFSFileShareInfoList": [
            {
                **{k: v for k, v in share.items() if k != "FileShareType"},
                "Tags": _tag_list(account, region, share["FileShareARN"]),
            }
            for share in shares
        ]
    }


def update_nfs_file_share(account, region, body):
    share = _share_of(account, region, body["FileShareARN"])
    share.update({k: body[k] for k in _SHARE_KEYS if body.get(k) is not None})
    return {"FileShareARN": share["FileShareARN"]}


def delete_file_share(account, region, body):
    share = _share_of(account, region, body["FileShareARN"])
    del _state(account, region)["shares"][share["FileShareARN"]]
    _state(account, region)["tags"].pop(share["FileShareARN"], None)
    return {"FileShareARN": share["FileShareARN"]}


def list_file_shares(account, region, body):
    shares = [s for s in _state(account, region)["shares"].values() if body.get("GatewayARN") in (None, s["GatewayARN"])]
    return {
        "FileShareInfoList": [
            {k: s[k] for k in ("FileShareType", "FileShareARN", "FileShareId", "FileShareStatus", "GatewayARN")} for s in shares
        ]
    }


def list_gateways(account, region, body):
    return {
        "Gateways": [
            {
                "GatewayARN": g["GatewayARN"],
                "GatewayId": g["GatewayId"],
                "GatewayName": g["GatewayName"],
                "GatewayType": g["GatewayType"],
                "GatewayOperationalState": "ACTIVE",
                "Ec2InstanceId": g["Ec2InstanceId"],
                "Ec2InstanceRegion": g["Ec2InstanceRegion"],
                "HostEnvironment": "EC2",
            }
            for g in _state(account, region)["gateways"].values()
        ]
    }


# Tags of gateways and file shares


def _known(account, region, arn: str) -> str:
    found = _state(account, region)
    if arn not in found["gateways"] and arn not in found["shares"]:
        raise ApiError("InvalidGatewayRequestException", f"The resource {arn} was not found.", error={"errorCode": "NotFound"})
    return arn


def list_tags_for_resource(account, region, body):
    arn = _known(account, region, body["ResourceARN"])
    return {"ResourceARN": arn, "Tags": _tag_list(account, region, arn)}


def add_tags_to_resource(account, region, body):
    _keep_tags(account, region, _known(account, region, body["ResourceARN"]), body.get("Tags"))
    return {"ResourceARN": body["ResourceARN"]}


def remove_tags_from_resource(account, region, body):
    current = _state(account, region)["tags"].get(_known(account, region, body["ResourceARN"]), {})
    for key in body.get("TagKeys") or []:
        current.pop(key, None)
    return {"ResourceARN": body["ResourceARN"]}


_HANDLERS = (
    activate_gateway,
    describe_gateway_information,
    update_gateway_information,
    delete_gateway,
    describe_smb_settings,
    describe_bandwidth_rate_limit,
    describe_bandwidth_rate_limit_schedule,
    describe_maintenance_start_time,
    update_maintenance_start_time,
    list_local_disks,
    add_cache,
    describe_cache,
    create_nfs_file_share,
    describe_nfs_file_shares,
    update_nfs_file_share,
    delete_file_share,
    list_file_shares,
    list_gateways,
    list_tags_for_resource,
    add_tags_to_resource,
    remove_tags_from_resource,
)


def _operation(handler) -> str:
    """The API operation a handler answers: list_local_disks -> ListLocalDisks, ..._nfs_... -> NFS."""
    words = {"smb": "SMB", "nfs": "NFS"}
    return "".join(words.get(part, part.capitalize()) for part in handler.__name__.split("_"))


@patch(
    "storage gateway",
    (
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
)
def gateway_api(patcher: Patcher) -> None:
    _regions.clear()
    _keys.clear()
    json_service(patcher, "StorageGateway_20130630", "message", {_operation(handler): handler for handler in _HANDLERS})
    answer_before_moto(patcher, _appliance, _activation)
