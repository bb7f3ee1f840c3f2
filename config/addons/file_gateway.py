"""Configuration of the file gateway add-on: an S3 bucket served to OMERO.server over NFS by an
S3 File Gateway appliance on EC2.

Two roles: ``repository`` keeps /OMERO itself on the share (instead of EFS); ``import`` mounts
the share beside /OMERO at ``mount_path``, so files put in the bucket can be imported in place
(``omero import --transfer=ln_s``) while /OMERO stays on EFS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.addons.base import Addon
from config.fields import Problem, key

if TYPE_CHECKING:
    from config.schema import Deployment

REPOSITORY_PATH = "/OMERO"


def share_bucket_name(name: str, account_id: str, region: str) -> str:
    """The bucket the add-on creates when bucket_name is unset (at most 60 characters: NAME_MAX 20)."""
    return f"{name}-omero-share-{account_id}-{region}"


# AWS's floor for a file gateway on EC2: 4 vCPUs and 16 GiB of memory.
MIN_VCPUS = 4
MIN_MEMORY_GIB = 16
# GiB of memory per vCPU of the x86_64 families whose letter says it (c: compute, m: general,
# r: memory, ...); other families are judged by their vCPUs only.
_MEMORY_PER_VCPU = {"c": 2, "m": 4, "t": 4, "r": 8, "i": 7, "z": 8, "x": 16}
_SIZE = checks.Pattern(r"(?:(\d*)xlarge|metal(?:-\d+xl)?)")
_SMALL_SIZES = ("nano", "micro", "small", "medium", "large")

_ACTIVATION_KEY = checks.Pattern(r"[A-Z0-9]{5}(?:-[A-Z0-9]{5}){4}")
_TIMEZONE = checks.Pattern(r"GMT(?:[+-](?:[0-9]|1[0-4]):[0-5][0-9])?")
_AMI = checks.Pattern(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_MOUNT_PATH = checks.Pattern(r"(?:/[A-Za-z0-9._-]+)+")
# A mount there would hide the operating system's own files in the OMERO.server container.
_SYSTEM_DIRS = frozenset("/bin /boot /dev /etc /home /lib /lib64 /opt /proc /root /run /sbin /srv /sys /tmp /usr /var".split())
STORAGE_CLASSES = ("S3_INTELLIGENT_TIERING", "S3_STANDARD", "S3_STANDARD_IA", "S3_ONEZONE_IA")
# 0 or 300-2592000 s (30 days): Storage Gateway API Reference, CacheAttributes CacheStaleTimeoutInSeconds.
CACHE_REFRESH_MAX = 2592000
# The cache disk by role, unless cache_volume_gb says otherwise. AWS: "allocate at least 20 percent
# of your existing file store size as cache storage" (Storage Gateway User Guide, "How Storage
# Gateway works", cache storage), and 150 GiB at least ("Storage Gateway quotas"). A repository
# keeps all of /OMERO behind the share, and an import larger than the cache's free space slows
# to the upload rate: 512 GiB is 20% of a 2.5 TiB repository. For import, the share only holds
# files imported in place: AWS's minimum.
CACHE_DEFAULT_GB = {"repository": 512, "import": 150}


def gateway_instance_type(value: str) -> str | None:
    problem = checks.instance_type(value)
    if problem:
        return problem.replace("the OMERO images have", "the Storage Gateway appliance has")
    family, size = value.split(".", 1)
    floor = f"at least {MIN_VCPUS} vCPUs and {MIN_MEMORY_GIB} GiB (AWS's minimum for a file gateway), e.g. m5.xlarge"
    if size in _SMALL_SIZES:
        return floor
    match = _SIZE.fullmatch(size)
    if not match:
        return None  # a size we cannot judge; AWS will
    vcpus = 4 * int(match.group(1) or 1) if size.endswith("xlarge") and not size.startswith("metal") else 64
    per_vcpu = _MEMORY_PER_VCPU.get(family[0])
    if vcpus < MIN_VCPUS or (per_vcpu is not None and vcpus * per_vcpu < MIN_MEMORY_GIB):
        return floor
    return None


def activation_key(value: str) -> str | None:
    if _ACTIVATION_KEY.fullmatch(value):
        return None
    return 'the gateway\'s activation key: five groups of five capitals or digits, e.g. "ABCDE-12345-FGHIJ-67890-KLMNO"'


def activation_cidrs(values: tuple[str, ...]) -> str | None:
    problem = checks.cidr_list(values)
    if problem:
        return problem
    for value in values:
        if ipaddress.IPv4Network(value).prefixlen < 8:
            return f"{value!r}: the networks Terraform runs from, /8 or narrower (never the whole internet)"
    return None


def timezone(value: str) -> str | None:
    if _TIMEZONE.fullmatch(value):
        return None
    return 'GMT, or an offset such as "GMT-5:00" or "GMT+1:00"'


def ami_id(value: str) -> str | None:
    return None if _AMI.fullmatch(value) else 'an AMI id such as "ami-0123456789abcdef0"'


def mount_path(value: str) -> str | None:
    if not _MOUNT_PATH.fullmatch(value) or "/." in value:
        return 'an absolute directory path such as "/s3uploads" (letters, digits, ._-; no trailing slash, no dot segments)'
    top = "/" + value.split("/")[1]
    if top == REPOSITORY_PATH:
        return f'a path outside {REPOSITORY_PATH} (the binary repository stays on EFS), e.g. "/s3uploads"'
    if top in _SYSTEM_DIRS:
        return f'a path outside the system directories ({", ".join(sorted(_SYSTEM_DIRS))}), e.g. "/s3uploads"'
    return None


def cache_refresh_seconds(value: int) -> str | None:
    if value == 0 or 300 <= value <= CACHE_REFRESH_MAX:
        return None
    return f"0 (no automated refresh) or from 300 to {CACHE_REFRESH_MAX} seconds"


@dataclass(frozen=True, kw_only=True)
class FileGatewayConfig(Addon):
    """An S3 bucket served to OMERO.server over NFS by an S3 File Gateway (needs the EC2 launch type)."""

    # The block is file_gateway, the stack <name>-file-gateway: the role names its Terraform state
    # (<prefix>/<name>/file-gateway.tfstate, or terraform.<name>-file-gateway.tfstate locally), so
    # "file_gateway" would make Terraform forget the deployed gateway and its share and create new ones.
    stack_role = "file-gateway"
    stack_class = "stacks.addons.file_gateway:FileGatewayStack"
    on_services = False  # before the services stack: the OMERO servers mount its share

    enabled: bool = key(False, "Keep OMERO's binary repository on S3 through an S3 File Gateway (needs the EC2 launch type).")
    role: str = key(
        "repository",
        'What the share is: "repository" holds /OMERO itself (instead of EFS); "import" is mounted beside /OMERO for in-place import.',
        choices=("repository", "import"),
    )
    mount_path: str = key(
        "/s3uploads",
        'With role = "import": where OMERO.server sees the share (import with omero import --transfer=ln_s).',
        checks=[mount_path],
    )
    instance_type: str = key(
        "m5.xlarge",
        "EC2 instance type of the gateway appliance (x86_64, at least 4 vCPUs and 16 GiB).",
        checks=[gateway_instance_type],
    )
    cache_volume_gb: int | None = key(
        # AWS Storage Gateway User Guide, "Storage Gateway quotas": a file gateway's cache disk is
        # 150 GiB at least; gp3 volumes go to 16 TiB (EC2 API Reference, CreateVolume).
        None,
        'Encrypted gp3 cache volume of the gateway in GiB (150-16384); unset: 512 with role = "repository" '
        '(AWS suggests 20% of the data behind the share), 150 (AWS\'s minimum) with role = "import".',
        checks=[checks.between(150, 16384)],
    )
    ami_id: str | None = key(
        None,
        "Gateway AMI; unset: AWS's current S3 File Gateway AMI at first apply, kept until replaced on purpose.",
        checks=[ami_id],
    )
    bucket_name: str | None = key(
        None,
        "Serve this existing bucket; unset: create <name>-omero-share-<account>-<region>, encrypted and private.",
        checks=[checks.bucket_name],
    )
    storage_class: str = key(
        "S3_INTELLIGENT_TIERING",
        "S3 storage class of the objects the gateway writes.",
        choices=STORAGE_CLASSES,
    )
    noncurrent_version_days: int = key(
        30,
        "Days the created bucket keeps overwritten or deleted object versions.",
        checks=[checks.at_least(1)],
    )
    cache_refresh_seconds: int = key(
        300,
        "How stale the gateway's listing may get before it re-reads the bucket (0: never; else 300-2592000).",
        checks=[cache_refresh_seconds],
    )
    activation_key: str | None = key(
        None,
        "Activate with this key (fetched by hand from the appliance); unset: Terraform fetches it from the gateway's private IP.",
        checks=[activation_key],
    )
    activation_cidrs: tuple[str, ...] = key(
        (),
        "Networks allowed to the gateway's port 80, where it hands out its activation key: required without activation_key (where Terraform runs).",
        checks=[activation_cidrs],
    )
    timezone: str = key("GMT", 'Time zone of the gateway\'s maintenance window, e.g. "GMT" or "GMT+1:00".', checks=[timezone])
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the bucket, the share's objects, the EBS volumes and the log group (its policy must let logs.<region>.amazonaws.com use it); unset: a key made for a created bucket and its objects, AWS-managed keys for the rest.",
        checks=[checks.kms_key_arn],
    )
    log_retention_days: int = key(
        365,
        "Days CloudWatch Logs keeps the gateway's health and file-share audit logs.",
        choices=checks.LOG_RETENTION_DAYS,
    )
    backup: bool = key(
        True,
        "Back up the share's bucket in the deployment's AWS Backup plan, beside EFS and the database (with backup.enabled; "
        "AWS Backup needs versioning on the bucket, which a created bucket has); false in production needs backup_waiver.",
    )
    backup_waiver: str | None = key(
        None,
        "Why this production deployment keeps its share's bucket out of AWS Backup; needed there to set backup = false.",
    )

    @property
    def holds_repository(self) -> bool:
        return self.role == "repository"

    @property
    def cache_gb(self) -> int:
        """The cache disk's size: cache_volume_gb, or the role's default."""
        return self.cache_volume_gb or CACHE_DEFAULT_GB[self.role]

    @property
    def container_path(self) -> str:
        """Where OMERO.server sees the share."""
        return REPOSITORY_PATH if self.holds_repository else self.mount_path

    def enabled_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.backup_waiver is not None and self.backup:
            yield Problem("backup_waiver", self.backup_waiver, "only with backup = false")
        if "mount_path" in given and self.role != "import":
            yield Problem(
                "mount_path", self.mount_path, 'only with role = "import" (role = "repository" mounts the share at /OMERO)'
            )
        if self.activation_key is None and not self.activation_cidrs:
            yield Problem(
                "activation_cidrs",
                None,
                "",
                text="missing; without activation_key, list the networks Terraform runs from (it fetches the activation key from the gateway's port 80)",
            )
        if self.bucket_name is not None and "noncurrent_version_days" in given:
            yield Problem(
                "noncurrent_version_days",
                self.noncurrent_version_days,
                "only without bucket_name (it applies to a bucket this project creates)",
            )

    def deployment_checks(self, deployment: Deployment) -> Iterator[Problem]:
        if not self.enabled:
            return
        if deployment.cluster.launch_type != "ec2":
            yield Problem(
                "file_gateway.enabled",
                True,
                "",
                text=f'the S3 File Gateway needs cluster.launch_type = "ec2" (OMERO.server mounts the NFS share on its container instances; it is "{deployment.cluster.launch_type}")',
            )
        if self.holds_repository:
            for name, addon in (("datasync", deployment.datasync), ("uploader", deployment.uploader)):
                if addon.enabled:
                    yield Problem(
                        f"{name}.enabled",
                        True,
                        "",
                        text=f'the {name} add-on writes to EFS, which does not hold /OMERO with file_gateway.role = "repository"; use file_gateway.role = "import" or switch {name} off',
                    )
