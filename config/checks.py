"""Reusable value checks. Each returns None when the value is fine, else what is allowed."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable

# Regions that exist for the aws provider (commercial, GovCloud, China), as of provider 5.100.
AWS_REGIONS = frozenset(
    """
    us-east-1 us-east-2 us-west-1 us-west-2
    af-south-1
    ap-east-1 ap-east-2 ap-south-1 ap-south-2 ap-northeast-1 ap-northeast-2 ap-northeast-3
    ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-7
    ca-central-1 ca-west-1
    eu-central-1 eu-central-2 eu-west-1 eu-west-2 eu-west-3 eu-north-1 eu-south-1 eu-south-2
    il-central-1 me-south-1 me-central-1 mx-central-1 sa-east-1
    us-gov-east-1 us-gov-west-1 cn-north-1 cn-northwest-1
    """.split()
)

# Values CloudWatch Logs accepts for retention_in_days (CloudWatch Logs API Reference,
# PutRetentionPolicy retentionInDays).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class Pattern:
    r"""A pattern a whole configuration value must match.

    Only :meth:`fullmatch` exists: ``re``'s ``match`` with a final ``$`` also accepts the value with a
    newline after it (``$`` matches before a trailing "\n"), which then reaches a script, a file or
    AWS. Classes are ASCII (``\d`` is 0-9, not every Unicode digit) unless ``unicode`` says
    otherwise, for the few values AWS takes in any script (tag keys and values).
    """

    __slots__ = ("regex",)

    def __init__(self, regex: str, *, unicode: bool = False) -> None:
        self.regex = re.compile(regex, re.UNICODE if unicode else re.ASCII)

    def fullmatch(self, value: str) -> re.Match[str] | None:
        return self.regex.fullmatch(value)


_NAME = Pattern(r"[a-z][a-z0-9-]*")
_VPC_ID = Pattern(r"vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_SUBNET_ID = Pattern(r"subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_KMS_KEY_ARN = Pattern(r"arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})")
_KMS_ALIAS_ARN = Pattern(r"arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:alias/[A-Za-z0-9/_-]+")
_BUCKET = Pattern(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_STATE_PREFIX = Pattern(r"[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*")
_AZ = Pattern(r"([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)([a-z])")
_TAG_CHARS = Pattern(r"[\w .:/=+\-@]*", unicode=True)

# The longest deployment name: "<name>-" prefixes resource names whose AWS limit is 32
# characters (load balancers and target groups: "a maximum of 32 characters", Elastic Load
# Balancing API Reference, CreateLoadBalancer and CreateTargetGroup Name), which leaves room for a
# 10-character suffix; the longest other name built from it is the session store's
# "<name>-omero-sessions" (35 of ElastiCache's 40, CreateReplicationGroup ReplicationGroupId).
NAME_MAX = 20


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """``; did you mean "x"?`` naming the closest of ``known``, or nothing when none is close."""
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.8)
    return f'; did you mean "{close[0]}"?' if close else ""


def deployment_name(value: str) -> str | None:
    if not (2 <= len(value) <= NAME_MAX) or not _NAME.fullmatch(value):
        return f"2-{NAME_MAX} characters: lowercase letters, digits and hyphens, starting with a letter"
    if value.endswith("-") or "--" in value:
        return "no trailing hyphen and no double hyphen"
    from config.names import refused  # every AWS name built from it, with AWS's rule for each

    problem = refused(value)
    return f"a name AWS accepts in every name built from it; here {problem}" if problem else None


def region(value: str) -> str | None:
    if value in AWS_REGIONS:
        return None
    return "an AWS region such as us-east-1 or eu-west-1"


_CIDR = Pattern(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}/(?:[0-9]|[1-2][0-9]|3[0-2])")
_CIDR_ALLOWED = 'an IPv4 network in CIDR notation with no host bits set, e.g. "10.192.0.0/16"'


def ipv4_cidr(value: str) -> str | None:
    """An IPv4 network written address/prefix length. Python's ipaddress also takes a bare address
    (as a /32) and a netmask or hostmask after the "/", which security group rules and Terraform
    refuse (EC2 API Reference, IpRange CidrIp: "The IPv4 address range, in CIDR format")."""
    address, slash, mask = value.partition("/")
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        return _CIDR_ALLOWED
    if not slash:
        return f'{_CIDR_ALLOWED}; a single address is written "{address}/32"'
    if "." in mask:
        return f'{_CIDR_ALLOWED}: a prefix length, not a netmask: "{network}"'
    if not _CIDR.fullmatch(value):
        return _CIDR_ALLOWED
    if network.network_address != ipaddress.IPv4Address(address):
        return f'an IPv4 network in CIDR notation with no host bits set: "{network}"'
    return None


def vpc_cidr(value: str) -> str | None:
    problem = ipv4_cidr(value)
    if problem:
        return problem
    prefix = ipaddress.IPv4Network(value).prefixlen
    if not 16 <= prefix <= 24:
        # Amazon VPC User Guide, "VPC CIDR blocks": a block from /16 to /28.
        return "a prefix length from /16 to /24 (AWS allows /16-/28; subnets need room)"
    return None


def subnet_cidrs(values: tuple[str, ...]) -> str | None:
    for value in values:
        problem = ipv4_cidr(value)
        if problem:
            return f"{value!r}: {problem}"
        if not 16 <= ipaddress.IPv4Network(value).prefixlen <= 28:
            return f"{value!r}: subnets from /16 to /28"
    return None


def vpc_id(value: str) -> str | None:
    return None if _VPC_ID.fullmatch(value) else 'a VPC id such as "vpc-0123456789abcdef0"'


def subnet_ids(values: tuple[str, ...]) -> str | None:
    for value in values:
        if not _SUBNET_ID.fullmatch(value):
            return f'{value!r}: subnet ids such as "subnet-0123456789abcdef0"'
    if len(set(values)) != len(values):
        return "each subnet id once"
    return None


def kms_key_arn(value: str) -> str | None:
    """A key ARN: resources read back the key ARN, so an alias would re-plan forever."""
    if _KMS_KEY_ARN.fullmatch(value):
        return None
    return 'a KMS key ARN (not an alias), e.g. "arn:aws:kms:eu-west-1:111122223333:key/<uuid or mrk-id>"'


def kms_key_or_alias_arn(value: str) -> str | None:
    if _KMS_KEY_ARN.fullmatch(value) or _KMS_ALIAS_ARN.fullmatch(value):
        return None
    return 'a KMS key or alias ARN, e.g. "arn:aws:kms:eu-west-1:111122223333:key/<uuid>"'


def bucket_name(value: str) -> str | None:
    allowed = "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if not _BUCKET.fullmatch(value) or ".." in value or ".-" in value or "-." in value:
        return allowed
    try:
        ipaddress.IPv4Address(value)
        return allowed + ", not an IP address"
    except ValueError:
        pass
    # Reserved prefixes and suffixes (Amazon S3 User Guide, "General purpose bucket naming rules").
    if value.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or value.endswith(
        ("-s3alias", "--ol-s3", "--x-s3", ".mrap", "--table-s3")
    ):
        return allowed + " (no reserved prefix or suffix)"
    return None


def state_prefix(value: str) -> str | None:
    if len(value) <= 200 and _STATE_PREFIX.fullmatch(value):
        return None
    return 'path segments of letters, digits and !_.*\'()- separated by "/", no leading or trailing "/"'


def availability_zones(values: tuple[str, ...]) -> str | None:
    for value in values:
        if not _AZ.fullmatch(value):
            return f'{value!r}: availability zone names such as "eu-west-1a"'
    if len(set(values)) != len(values):
        return "each availability zone once"
    return None


def az_region(value: str) -> str:
    """The region an availability zone name belongs to (the name without its letter)."""
    match = _AZ.fullmatch(value)
    return match.group(1) if match else ""


# Tag keys this project sets itself: "project" and "deployment" on every resource (the provider's
# default tags, stacks/base.py), "Name" on most, "tier" on the subnets (public or private) and
# "omero-server-image" on the upgrade marker.
# A resource's own tags win over the provider's default tags (hashicorp/terraform-provider-aws,
# website/docs/index.html.markdown, default_tags), so a user's tag of that key would be replaced
# without a word. tests/test_config.py checks this list against what synthesis sets.
PROJECT_TAG_KEYS = ("deployment", "Name", "omero-server-image", "project", "tier")


def tags(values: dict[str, str]) -> str | None:
    """Tag keys of 1-128 and values of 0-256 characters, no "aws:" prefix (Tagging AWS Resources
    User Guide, "Tag naming limits and requirements"), none this project sets itself."""
    for name, value in values.items():
        if not name or len(name) > 128 or not _TAG_CHARS.fullmatch(name):
            return f"tag key {name!r}: 1-128 letters, digits, spaces and _.:/=+-@"
        if name.lower().startswith("aws:"):
            return f"tag key {name!r}: the aws: prefix is reserved"
        if name in PROJECT_TAG_KEYS:
            return f"tag key {name!r}: a key this project sets itself ({', '.join(PROJECT_TAG_KEYS)}); name yours differently"
        if len(value) > 256 or not _TAG_CHARS.fullmatch(value):
            return f"tag {name!r} value: up to 256 letters, digits, spaces and _.:/=+-@"
    return None


def at_least(minimum: int):
    def check(value: int) -> str | None:
        return None if value >= minimum else f"a whole number >= {minimum}"

    return check


def between(low: int, high: int):
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"a whole number from {low} to {high}"

    return check


# Values EFS accepts for lifecycle transitions, in order.
EFS_TRANSITIONS = (
    "AFTER_1_DAY",
    "AFTER_7_DAYS",
    "AFTER_14_DAYS",
    "AFTER_30_DAYS",
    "AFTER_60_DAYS",
    "AFTER_90_DAYS",
    "AFTER_180_DAYS",
    "AFTER_270_DAYS",
    "AFTER_365_DAYS",
)

_PG_VERSION = Pattern(r"(1[0-9])")
# OMERO 5.6's support table lists PostgreSQL up to 17 (and 18), and 12 and 13 as unsupported
# (ome/omero-documentation PR #2513, January 2026; sysadmins/version-requirements); RDS has ended
# standard support below 15 or soon will. The default stays 16: the OMERO.server image ships the
# PostgreSQL 16 client tools (ome/omero-server-docker), whose pg_dump cannot dump a newer server.
POSTGRES_MAJORS = ("15", "16", "17")


def efs_days(value: str) -> int:
    return int(value.split("_")[1])


def postgres_version(value: str) -> str | None:
    match = _PG_VERSION.fullmatch(value)
    if not match or match.group(1) not in POSTGRES_MAJORS:
        return 'PostgreSQL major version "15", "16" or "17" (as OMERO 5.6 supports them; older majors are out of RDS standard support; minor versions are upgraded automatically)'
    return None


def db_instance_class(value: str) -> str | None:
    """A DB instance class AWS prices for RDS for PostgreSQL (config/aws_types.json)."""
    from config import aws_types

    offered = aws_types.rds_postgres_instance_classes()
    if value in offered:
        return None
    return (
        f"an RDS for PostgreSQL DB instance class AWS offers (config/aws_types.json of {aws_types.generated()}), "
        f'e.g. "db.t4g.medium" or "db.m7g.large"{did_you_mean(value, offered)}'
    )


_INSTANCE_TYPE = Pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+")
# Graviton (arm64) families: the OMERO images are built for x86_64 only.
_ARM_FAMILY = Pattern(r"[a-z]+\d+g[a-z]*\.[a-z0-9]+")


def arm64(value: str) -> bool:
    """Whether an EC2 instance type is a Graviton (arm64) one: m7g, c6gn, t4g, x2gd, ..., and a1."""
    return bool(_ARM_FAMILY.fullmatch(value)) or value.startswith("a1.")


def ec2_offered(value: str) -> str | None:
    """An EC2 instance type the EC2 API knows (config/aws_types.json); a near miss is named."""
    from config import aws_types

    if value in aws_types.ec2_instance_types():
        return None
    x86 = [name for name in aws_types.ec2_instance_types() if not arm64(name)]
    return (
        f'an EC2 instance type AWS offers (config/aws_types.json of {aws_types.generated()}), e.g. "m6i.xlarge"'
        f"{did_you_mean(value, x86)}"
    )


def instance_type(value: str) -> str | None:
    if _INSTANCE_TYPE.fullmatch(value) and arm64(value):
        return "an x86_64 instance type (the OMERO images have no arm64 build), e.g. m6i.xlarge"
    return ec2_offered(value)


def container_instance_type(value: str) -> str | None:
    from config.instances import CONTAINER_INSTANCE_TYPES

    if value in CONTAINER_INSTANCE_TYPES:
        return None
    return (
        "a container instance type whose capacity is known, so the tasks are checked to fit: "
        "m5, m6i, m7i, c5, c6i, r5 or r6i in size large, xlarge, 2xlarge or 4xlarge (x86_64)"
    )


_IMAGE = Pattern(
    r"(?P<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


def container_image(value: str) -> str | None:
    match = _IMAGE.fullmatch(value)
    if not match:
        return 'a container image reference such as "openmicroscopy/omero-server:5.6.16"'
    if not match.group("tag") and not match.group("digest"):
        return "an image pinned by tag or digest (repository:tag or repository@sha256:...)"
    if match.group("tag") == "latest" and not match.group("digest"):
        return 'a pinned tag, not "latest" (a redeploy must not silently change OMERO\'s version)'
    return None


# CPU units a Fargate task may have, and the memory (MiB) each allows: (low, high, step)
# (Amazon ECS Developer Guide, "Amazon ECS task definition parameters for Fargate", Task size).
FARGATE_MEMORY = {
    256: (512, 2048, None),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def task_cpu(value: int) -> str | None:
    if value in FARGATE_MEMORY:
        return None
    return "one of " + ", ".join(str(c) for c in FARGATE_MEMORY) + " (CPU units; 1024 = 1 vCPU)"


def fargate_memory(cpu: int, memory: int) -> str | None:
    """None when ``memory`` MiB goes with ``cpu`` units on Fargate, else what does."""
    if cpu not in FARGATE_MEMORY:
        return None  # the cpu key itself is reported
    low, high, step = FARGATE_MEMORY[cpu]
    allowed: tuple[int, ...]
    if step is None:
        allowed, text = (512, 1024, 2048), "512, 1024 or 2048 MiB"
    else:
        allowed, text = tuple(range(low, high + 1, step)), f"{low}-{high} MiB in steps of {step}"
    return None if memory in allowed else f"{text} with cpu = {cpu} on Fargate"


_PROPERTY = Pattern(r"omero(?:\.[A-Za-z0-9_]+)+")


# A property holds a secret when the last word of its name says so: omero.ldap.password,
# omero.web.public.password, omero.mail.password, omero.security.keyStorePassword,
# omero.web.secret_key, an api_key or apikey, an access_token... Only the last word counts, so
# omero.security.password_provider and password_required (settings, not secrets) and
# omero.ldap.keystore or omero.security.keyStore (paths) stay plain properties.
_SECRET_LAST_WORDS = frozenset(
    {"pass", "password", "passwd", "passphrase", "secret", "token", "key", "apikey", "credential", "credentials"}
)
_SECRET_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials")
# Names that read like a secret but hold none: the file name of the server's TLS key
# ("server.key"; ome/omero-certificates, omero_certificates/certificates.py).
NOT_SECRET_PROPERTIES = frozenset({"omero.certificates.key"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", re.ASCII)  # camelCase humps and lowercase runs


def secret_named(name: str) -> bool:
    """Whether OMERO property ``name`` says it holds a secret (so never a plain value)."""
    if name in NOT_SECRET_PROPERTIES:
        return False
    last = re.split(r"[._]", name)[-1]
    words = _WORD.findall(last)
    return bool(words) and words[-1].lower() in _SECRET_LAST_WORDS or last.lower().endswith(_SECRET_ENDINGS)


def omero_properties(
    value: dict[str, str], *, prefix: str, managed: tuple[str, ...], secrets_allowed: bool = False
) -> str | None:
    """Property names under ``prefix``, none managed, and (unless ``secrets_allowed``, for the
    ``secret_properties`` maps) none whose name says it holds a secret."""
    for name in value:
        if not _PROPERTY.fullmatch(name) or not name.startswith(prefix):
            return f"property {name!r}: OMERO property names starting with {prefix!r}, e.g. {prefix}..."
        if name in managed:
            return f"property {name!r}: set by this project (managed: {', '.join(managed)})"
        if not secrets_allowed and secret_named(name):
            return (
                f"property {name!r} holds a secret, which a task definition shows in plain text: "
                "use secret_properties (the property = a Secrets Manager secret ARN)"
            )
    return None


_PREFIX_LIST = re.compile(r"pl-[0-9a-f]{8,17}", re.ASCII)


def prefix_list_id(value: str) -> str | None:
    return None if _PREFIX_LIST.fullmatch(value) else 'a managed prefix list id such as "pl-0123456789abcdef0"'


def cidr_list(values: tuple[str, ...]) -> str | None:
    for value in values:
        problem = ipv4_cidr(value)
        if problem:
            return f"{value!r}: {problem}"
    if len(set(values)) != len(values):
        return "each network once"
    return None


_DOMAIN = Pattern(r"(?=.{4,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


# The domain becomes the ACM certificate's domain name, which "cannot exceed 64 octets" (ACM API
# Reference, RequestCertificate DomainName).
DOMAIN_MAX = 64


def domain_name(value: str) -> str | None:
    if _DOMAIN.fullmatch(value) and len(value) <= DOMAIN_MAX:
        return None
    return (
        f'a lowercase fully qualified domain name of at most {DOMAIN_MAX} characters such as "omero.example.org" '
        "(no scheme, no trailing dot; ACM certificates allow 64)"
    )


_HOSTED_ZONE = Pattern(r"Z[A-Z0-9]{1,31}")


def hosted_zone_id(value: str) -> str | None:
    if _HOSTED_ZONE.fullmatch(value):
        return None
    return 'a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"'


# ALB TLS policies that allow TLS 1.2 and 1.3 only, newest first (Elastic Load Balancing User
# Guide for Application Load Balancers, "Security policies for your Application Load Balancer").
TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
)


# A practical e-mail address form: one @, no spaces, a dotted domain (AWS checks deliverability).
_EMAIL = Pattern(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def email_address(value: str) -> str | None:
    if len(value) <= 254 and _EMAIL.fullmatch(value):
        return None
    return 'an e-mail address such as "imaging-oncall@example.org"'


# AppStream user names are e-mail addresses of at most 128 characters (AppStream 2.0 API
# Reference, CreateUser UserName).
APPSTREAM_USER_MAX = 128


def email_addresses(values: tuple[str, ...]) -> str | None:
    for value in values:
        if email_address(value) or len(value) > APPSTREAM_USER_MAX:
            return f'{value!r}: e-mail addresses of at most {APPSTREAM_USER_MAX} characters such as "alice@example.org"'
    if len({v.lower() for v in values}) != len(values):
        return "each e-mail address once"
    return None
