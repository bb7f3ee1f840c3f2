"""Configuration of the uploader add-on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.addons.base import Addon
from config.fields import Problem, key

if TYPE_CHECKING:
    from config.schema import Deployment

# Amazon Corretto packages of the Amazon Linux 2023 repositories that OMERO's Java importer runs on.
JAVA_PACKAGES = (
    "java-11-amazon-corretto-headless",
    "java-17-amazon-corretto-headless",
    "java-21-amazon-corretto-headless",
)
OMERO_PY_VERSION = "5.23.0"
# Glencoe Software's prebuilt Ice 3.6.5 for CPython 3.11 on manylinux_2_28 x86_64 (Amazon Linux 2023
# has glibc 2.34): the wheel OME's own ansible-role-omero-server installs (defaults/main.yml), since
# Ice 3.6 no longer builds from source on Python 3.11 (ome/omero-py#360, #412).
ICE_WHEEL_URL = (
    "https://github.com/glencoesoftware/zeroc-ice-py-linux-x86_64/releases/download/20240202/"
    "zeroc_ice-3.6.5-cp311-cp311-manylinux_2_28_x86_64.whl"
)
_SHA256 = checks.Pattern(r"[0-9a-f]{64}")

_INSTANCE_TYPE = checks.Pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+")
# Graviton families (m7g, c6gn, t4g, ...) and a1: arm64.
_ARM_FAMILY = checks.Pattern(r"(?:[a-z]+\d+g[a-z]*|a1)\.[a-z0-9]+")
_VERSION = checks.Pattern(r"5\.(\d+)\.(\d+)")
_MOUNT_PATH = checks.Pattern(r"(?:/[A-Za-z0-9._-]+)+")
# Where a mount would hide the operating system's own files.
_SYSTEM_DIRS = frozenset("/bin /boot /dev /etc /home /lib /lib64 /opt /proc /root /run /sbin /srv /sys /tmp /usr /var".split())
_WHEEL_URL = checks.Pattern(r"https://[A-Za-z0-9.-]+(?:/[A-Za-z0-9._%+~-]+)*/zeroc_ice-3\.6\.5-cp311-cp311-[A-Za-z0-9_.]+\.whl")


def instance_type(value: str) -> str | None:
    if _INSTANCE_TYPE.fullmatch(value) and _ARM_FAMILY.fullmatch(value):
        return "an x86_64 instance type (the host runs the x86_64 Amazon Linux 2023 image), e.g. m6i.large"
    return checks.ec2_offered(value)


def omero_py_version(value: str) -> str | None:
    match = _VERSION.fullmatch(value)
    if not match or int(match.group(1)) < 20:
        return 'an exact omero-py release from 5.20.0 on, e.g. "5.23.0" (pinned: no ranges, no "latest")'
    return None


def mount_path(value: str) -> str | None:
    if not _MOUNT_PATH.fullmatch(value) or "/." in value:
        return 'an absolute directory path such as "/OMERO" (letters, digits, ._-; no trailing slash, no dot segments)'
    if value.split("/", 2)[1] and "/" + value.split("/", 2)[1] in _SYSTEM_DIRS:
        return f'a path outside the system directories ({", ".join(sorted(_SYSTEM_DIRS))}), e.g. "/OMERO"'
    return None


def bucket_names(values: tuple[str, ...]) -> str | None:
    for value in values:
        problem = checks.bucket_name(value)
        if problem:
            return f"{value!r}: {problem}"
    if len(set(values)) != len(values):
        return "each bucket once"
    return None


def ice_wheel_url(value: str) -> str | None:
    if _WHEEL_URL.fullmatch(value):
        return None
    return "an https URL of a zeroc_ice-3.6.5-cp311-cp311-<platform>.whl file (Ice 3.6.5 for Python 3.11)"


def kms_key_arns(values: tuple[str, ...]) -> str | None:
    for value in values:
        problem = checks.kms_key_arn(value)
        if problem:
            return f"{value!r}: {problem}"
    return "each key once" if len(set(values)) != len(values) else None


def sha256(value: str) -> str | None:
    return None if _SHA256.fullmatch(value) else "a SHA-256 digest: 64 lowercase hex digits"


@dataclass(frozen=True, kw_only=True)
class Uploader(Addon):
    """An EC2 host with the OMERO CLI and /OMERO mounted, reached through Session Manager."""

    stack_role = "uploader"
    stack_class = "stacks.addons.uploader:UploaderStack"

    enabled: bool = key(False, "An EC2 host with the OMERO CLI and /OMERO mounted, reached through Session Manager.")
    instance_type: str = key("m6i.large", "EC2 instance type of the uploader host (x86_64).", checks=[instance_type])
    root_volume_gb: int = key(
        30, "Encrypted gp3 root volume in GiB: the OS, the CLI and local staging (20-16384).", checks=[checks.between(20, 16384)]
    )
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the root volume; unset: the account's default EBS key (aws/ebs).",
        checks=[checks.kms_key_arn],
    )
    subnet_index: int = key(0, "Which private subnet (0 = the first AZ's) the host runs in.", checks=[checks.between(0, 5)])
    java_package: str = key(
        "java-17-amazon-corretto-headless",
        "Amazon Corretto package (Amazon Linux 2023 repositories) that runs omero import.",
        choices=JAVA_PACKAGES,
    )
    omero_py_version: str = key(
        OMERO_PY_VERSION, "Exact omero-py release installed in the CLI's virtualenv (/opt/omero/venv).", checks=[omero_py_version]
    )
    ice_wheel_url: str = key(
        ICE_WHEEL_URL,
        "Prebuilt zeroc-ice 3.6.5 wheel for Python 3.11 (Ice 3.6 no longer builds from source there); default: Glencoe Software's, as OME installs it.",
        checks=[ice_wheel_url],
    )
    ice_wheel_sha256: str | None = key(
        None,
        "SHA-256 of the wheel (sha256sum of the file, 64 hex digits), required: pip installs that file and no other "
        "(a release asset can be replaced under the same URL).",
        checks=[sha256],
    )
    mount_path: str = key(
        "/OMERO", "Where the host mounts OMERO's binary repository (EFS, through the servers' access point).", checks=[mount_path]
    )
    mount_read_only: bool = key(
        False, "Mount the repository read-only (IAM grants ClientMount only); in-place import then needs another writable place."
    )
    detailed_monitoring: bool = key(True, "One-minute EC2 metrics (about $2 a month); false: five-minute basic monitoring.")
    read_bucket_names: tuple[str, ...] = key(
        (),
        "S3 buckets the host may list and read (s3:ListBucket, s3:GetObject) to fetch images for import.",
        checks=[bucket_names],
    )
    read_bucket_kms_key_arns: tuple[str, ...] = key(
        (),
        "Customer KMS keys the objects of read_bucket_names are encrypted with (SSE-KMS): the host may decrypt with them "
        "through S3 in each key's region only.",
        checks=[kms_key_arns],
    )

    def enabled_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.ice_wheel_sha256 is None:
            yield Problem(
                "ice_wheel_sha256",
                None,
                "",
                text="missing; the SHA-256 of the Ice wheel (curl -sL <ice_wheel_url> | sha256sum, once, from a trusted "
                "network): the host installs no unverified binary",
            )
        if self.read_bucket_kms_key_arns and not self.read_bucket_names:
            yield Problem("read_bucket_kms_key_arns", self.read_bucket_kms_key_arns, "only together with read_bucket_names")

    def deployment_checks(self, deployment: Deployment) -> Iterator[Problem]:
        if not self.enabled:
            return
        network = deployment.network
        subnets = len(network.private_subnet_ids) if network.vpc_id else network.zone_count
        if self.subnet_index >= subnets:
            yield Problem(
                "uploader.subnet_index", self.subnet_index, f"0 to {subnets - 1} (the deployment has {subnets} private subnets)"
            )
        gateway = deployment.file_gateway
        if gateway.enabled and not gateway.holds_repository:
            # The host mounts the import share where the servers see it: the two must not overlap.
            share, mine = gateway.container_path, self.mount_path
            if share == mine or share.startswith(mine + "/") or mine.startswith(share + "/"):
                yield Problem(
                    "uploader.mount_path",
                    mine,
                    f"a path apart from file_gateway.mount_path ({share}), where the host mounts the import share",
                )
