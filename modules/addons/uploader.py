"""The OMERO CLI uploader host: one EC2 instance with omero-py, Java and OMERO's repository mounted.

Operators reach it only through SSM Session Manager: no SSH key, no public IP, no inbound rule at
all. It may open connections to the OMERO.server (4064, Ice over TLS) for ``omero import``, to
the EFS mount targets (2049, NFS over TLS) and out on HTTPS (SSM, package repositories, PyPI, S3).
The repository is mounted through the OMERO servers' own access point, so every file the host
writes belongs to the OMERO server user and sits at the same path as inside the server
containers when mounted at /OMERO: files staged there can be imported in place. With an NFS
share beside /OMERO (the S3 File Gateway add-on, role "import"), the host mounts it too, at the
path the servers see it, so its files can be imported in place from here as well.

One instance rather than an Auto Scaling group of one: the host has a fixed id for
``aws ssm start-session --target``, and a change to its setup script shows in the plan as a
replacement (``user_data_replace_on_change``) instead of happening outside Terraform through an
instance refresh. EC2's automatic recovery moves it to healthy hardware. A new Amazon Linux
image does not replace it by itself (``ami`` is ignored once created); any replacement, or
``terraform apply -replace``, starts it from the newest image.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.instance import InstanceMaintenanceOptions
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from modules.access import NFS_PORT, allow_from, https_out, security_group
from modules.context import stack_context
from modules.efs import OmeroFileSystemOutputs
from modules.hardened_instance import SSM_CORE_POLICY, hardened_instance
from modules.iam import allow, role_policy, service_trust, when
from modules.omero_facts import NFS_OPTIONS, SERVER_PORT, NfsShare

# Amazon Linux 2023, the newest standard x86_64 image, as AWS publishes it.
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
# omero-py needs Python 3.10 or later; Amazon Linux 2023 packages 3.11 beside its system 3.9.
PYTHON = "python3.11"
VENV = "/opt/omero/venv"
# omero-cli-zarr and what it needs, each version and wheel sha256 pinned (the file says how it was
# resolved): installed with the zarr add-on, so the host can register OME-Zarr images in OMERO.
CLI_ZARR_VERSION = "0.9.0"
CLI_ZARR_REQUIREMENTS = Path(__file__).with_name("omero_cli_zarr.txt")


@dataclass(frozen=True, kw_only=True)
class UploaderHostProps:
    name: str  # the deployment name; prefixes names
    vpc_id: str
    subnet_id: str  # a private subnet
    file_system: OmeroFileSystemOutputs  # mounted through its access point
    server_security_group_id: str  # the OMERO.servers: the host may reach them on 4064
    server_host: str  # the read-write OMERO.server's name inside the VPC, for omero login
    instance_type: str = "m6i.large"
    root_volume_gb: int = 30
    kms_key_arn: str | None = None  # the account's default EBS key when None
    java_package: str = "java-17-amazon-corretto-headless"
    omero_py_version: str = "5.23.0"
    ice_wheel_url: str  # a prebuilt zeroc-ice 3.6.5 wheel for Python 3.11
    ice_wheel_sha256: str  # pip refuses a wheel of another digest
    status_parameter: str = ""  # SSM parameter first boot reports to: pending, ready or failed
    mount_path: str = "/OMERO"
    mount_read_only: bool = False  # ClientMount only, and an "ro" mount
    detailed_monitoring: bool = True  # one-minute EC2 metrics
    read_bucket_names: tuple[str, ...] = ()  # the host may list and read these buckets
    read_bucket_kms_key_arns: tuple[str, ...] = ()  # customer keys of those buckets' objects
    # An NFS share the OMERO servers mount beside /OMERO; the host mounts it at the same path.
    import_share: NfsShare | None = None
    cli_zarr: bool = False  # install omero-cli-zarr (the zarr add-on: omero zarr import)


@dataclass(frozen=True, kw_only=True)
class UploaderHostOutputs:
    instance_id: str
    private_ip: str
    security_group_id: str
    role_name: str
    status_parameter: str  # pending until first boot says ready or failed


def mount_options(access_point_id: str, read_only: bool) -> str:
    """efs-utils options: TLS in transit, IAM authorization, the servers' access point."""
    options = ["_netdev", "noresvport", "tls", "iam", f"accesspoint={access_point_id}"]
    return ",".join(options + (["ro"] if read_only else []))


def user_data(props: UploaderHostProps, region: str) -> str:
    """The first-boot script: packages, the repository mount, omero-py in a virtualenv; it reports
    its status to the SSM parameter in ``region``.

    Everything in it is fixed by the configuration (pinned package versions, resource ids), so
    the same configuration always gives the same script, and a changed script replaces the host.
    """
    fs = props.file_system
    path = shlex.quote(props.mount_path)
    options = mount_options(fs.access_point_id, props.mount_read_only)
    packages = ["amazon-efs-utils", props.java_package, PYTHON, f"{PYTHON}-pip"]
    share = props.import_share
    share_lines: list[str] = []
    if share is not None:
        # NFS 4.1 as the servers mount it; read-only with the repository.
        share_options = NFS_OPTIONS + (",ro" if props.mount_read_only else "")
        share_path = shlex.quote(share.container_path)
        share_lines = [
            "",
            "# The import share, at the path the OMERO servers see it (in-place import of its files).",
            f"mkdir -p {share_path}",
            f"grep -q ' {share.container_path} nfs ' /etc/fstab || echo '{share.host}:{share.path} {share.container_path} nfs _netdev,{share_options} 0 0' >> /etc/fstab",
            f"mountpoint -q {share_path} || mount -t nfs -o {share_options} {share.host}:{share.path} {share_path}",
        ]
    # Ice 3.6.5 no longer builds from source on Python 3.11 (ome/omero-py#360, #412): a prebuilt
    # wheel, which pip verifies against the digest in the URL's #sha256= fragment and refuses when
    # it differs (pip documentation, "Secure installs": hashes in URL fragments are checked).
    ice = shlex.quote(f"{props.ice_wheel_url}#sha256={props.ice_wheel_sha256}")
    status = shlex.quote(props.status_parameter)
    report = f"aws ssm put-parameter --region {region} --overwrite --type String --name {status} --value"
    lines = [
        "#!/bin/bash",
        f"# OMERO CLI uploader host of {props.name}: runs once, at first boot (log: /var/log/cloud-init-output.log).",
        "set -euxo pipefail",
        "# A failed step is visible beside the log: the status parameter says failed, and at which line.",
        f"trap 'code=$?; {report} \"failed: line $LINENO, exit $code (see /var/log/cloud-init-output.log)\" || true' ERR",
        f"dnf install -y {' '.join(packages)}",
        "",
        "# OMERO's binary repository through the OMERO servers' access point (TLS, IAM, uid/gid 1000).",
        f"mkdir -p {path}",
        f"grep -q ' {props.mount_path} efs ' /etc/fstab || echo '{fs.file_system_id}:/ {props.mount_path} efs {options} 0 0' >> /etc/fstab",
        f"mountpoint -q {path} || mount -t efs -o {options} {fs.file_system_id}:/ {path}",
        *share_lines,
        "",
        "# The OMERO CLI (omero-py) in its own virtualenv; omero import fetches its Java libraries on first use.",
        f"{PYTHON} -m venv {VENV}",
        f"{VENV}/bin/pip install --no-cache-dir --only-binary=:all: {ice}",
        f"{VENV}/bin/pip install --no-cache-dir 'omero-py=={props.omero_py_version}'",
        *(cli_zarr_lines() if props.cli_zarr else []),
        "# The CLI must answer before the host calls itself ready.",
        f"version=$({VENV}/bin/omero version)",
        f'{report} "ready: omero-py $version{", omero-cli-zarr " + CLI_ZARR_VERSION if props.cli_zarr else ""}"',
        "",
        "# Every login shell finds the CLI and the server.",
        "cat > /etc/profile.d/omero.sh <<'EOF'",
        f"export PATH={VENV}/bin:$PATH",
        f"export OMERO_SERVER={props.server_host}",
        f"export OMERO_DATA={props.mount_path}",
        "EOF",
    ]
    return "\n".join(lines) + "\n"


def cli_zarr_lines() -> list[str]:
    """omero-cli-zarr into the CLI's virtualenv: exactly the pinned files (pip's hash-checking mode
    refuses any requirement without a matching --hash, "Secure installs" in pip's documentation),
    wheels only, no dependency resolved on the host (--no-deps: the list is complete); then
    pip check, and the plugin must answer."""
    lines = CLI_ZARR_REQUIREMENTS.read_text().splitlines()
    requirements = "\n".join(line for line in lines if line and not line.startswith("#"))
    path = "/opt/omero/omero-cli-zarr.txt"
    return [
        "",
        f"# omero-cli-zarr {CLI_ZARR_VERSION} (omero zarr import), each file pinned by its sha256.",
        f"cat > {path} <<'EOF'",
        requirements,
        "EOF",
        f"{VENV}/bin/pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r {path}",
        f"{VENV}/bin/pip check",
        f"{VENV}/bin/omero zarr --help >/dev/null",
    ]


class UploaderHost(Construct):
    def __init__(self, scope: Construct, id: str, *, props: UploaderHostProps):
        super().__init__(scope, id)
        prefix = f"{props.name}-omero-uploader"
        fs, aws = props.file_system, stack_context(self)

        # ---- network: no ingress at all; out to the server, the file system and HTTPS ----
        self.security_group = security_group(
            self,
            "security_group",
            name=prefix,
            vpc_id=props.vpc_id,
            description="OMERO uploader host: no ingress (Session Manager); out to OMERO.server, EFS and HTTPS.",
        )
        group = self.security_group.id
        rules = [
            ("server", props.server_security_group_id, SERVER_PORT, "OMERO.server (Ice over TLS)"),
            ("efs", fs.security_group_id, NFS_PORT, "EFS (NFS over TLS)"),
        ]
        if props.import_share is not None:
            if props.import_share.holds_repository:
                raise ValueError("the uploader host mounts /OMERO from EFS; a share holding /OMERO is not supported")
            rules.append(("share", props.import_share.security_group_id, NFS_PORT, "the import share (NFS 4.1)"))
        for key, target, port, what in rules:
            allow_from(
                self,
                (f"to_{key}", f"{key}_from_uploader"),
                group,
                target,
                port,
                what,
                clients=f"{what} clients: the uploader host",
            )
        https_out(self, "https_out", group, description="HTTPS out: SSM, package repositories, PyPI, S3")

        # ---- identity: Session Manager, the repository, the buckets it may read ----
        role = IamRole(
            self,
            "role",
            name=prefix,
            description="OMERO uploader host: Session Manager, OMERO's repository on EFS, import buckets (read).",
            assume_role_policy=service_trust(self, "trust", "ec2.amazonaws.com"),
        )
        IamRolePolicyAttachment(
            self,
            "ssm",
            role=role.name,
            policy_arn=f"arn:{aws.partition}:iam::aws:policy/{SSM_CORE_POLICY}",
        )
        # First boot reports here (the standard Amazon Linux 2023 image has the AWS CLI); Terraform
        # makes it "pending" and leaves the value to the host afterwards.
        status = SsmParameter(
            self,
            "status",
            name=props.status_parameter,
            type="String",
            value="pending",
            description=f"First boot of {prefix}: pending, ready: omero-py <version>, or failed: line <n>",
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        statements = [
            fs.client_statement(read_only=props.mount_read_only, sid="RepositoryThroughAccessPoint"),
            allow(["ssm:PutParameter"], [status.arn], sid="ReportFirstBoot"),
        ]
        if props.read_bucket_names:
            buckets = [f"arn:{aws.partition}:s3:::{bucket}" for bucket in props.read_bucket_names]
            statements += [
                allow(["s3:ListBucket"], buckets, sid="ListImportBuckets"),
                allow(["s3:GetObject"], [f"{b}/*" for b in buckets], sid="ReadImportBuckets"),
            ]
        if props.read_bucket_kms_key_arns:
            # SSE-KMS objects under a customer key are read only with kms:Decrypt on it; held to
            # requests S3 makes for the host (AWS KMS Developer Guide, kms:ViaService), in the key's
            # region, which is its bucket's (S3 uses a key of the bucket's region).
            keys = props.read_bucket_kms_key_arns
            services = sorted({f"s3.{key.split(':')[3]}.amazonaws.com" for key in keys})
            statements.append(
                allow(
                    ["kms:Decrypt"],
                    list(keys),
                    sid="DecryptImportBuckets",
                    condition=[when("StringEquals", "kms:ViaService", *services)],
                )
            )
        role_policy(self, "policy", role_id=role.id, name="omero-uploader", document_id="policy_document", statements=statements)
        profile = IamInstanceProfile(self, "profile", name=prefix, role=role.name)

        # ---- the host ----
        ami = DataAwsSsmParameter(self, "ami", name=AMI_PARAMETER)
        self.instance = hardened_instance(
            self,
            "host",
            ami=ami.insecure_value,
            instance_type=props.instance_type,
            subnet_id=props.subnet_id,
            security_group_ids=[group],
            root_volume_gb=props.root_volume_gb,
            kms_key_arn=props.kms_key_arn,
            root_tags={"Name": prefix},
            iam_instance_profile=profile.name,
            monitoring=props.detailed_monitoring,
            maintenance_options=InstanceMaintenanceOptions(auto_recovery="default"),
            user_data=user_data(props, aws.region),
            # A changed setup script is a new host, shown as a replacement in the plan.
            user_data_replace_on_change=True,
            tags={"Name": prefix},
            # A newer image alone does not replace the host; any replacement starts from the newest.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["ami"]),
        )
        self.outputs = UploaderHostOutputs(
            instance_id=self.instance.id,
            private_ip=self.instance.private_ip,
            security_group_id=group,
            role_name=role.name,
            status_parameter=status.name,
        )
