"""OMERO.insight streamed to a browser from an AppStream 2.0 (WorkSpaces Applications) fleet.

The fleet runs a Windows image with OMERO.insight installed (built once by hand in an Image
Builder; infrastructure code can only point at it). Its instances sit in the private subnets with
no default internet access and a security group of their own: they may open Ice connections to
the OMERO servers (4064) and HTTPS connections out (home folders in S3, AppStream's own
services), and nothing may connect to them. Streaming itself goes through AppStream's managed
network, not the VPC.

    browser --HTTPS--> AppStream --(fleet instance in a private subnet)--4064--> OMERO.server

A stack ties the fleet to what users may do in a session (clipboard, file transfer, printing),
keeps per-user home folders in S3 and, optionally, OMERO.insight's settings between sessions.
Users of the AppStream user pool are created from e-mail addresses and assigned to the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.appstream_fleet import AppstreamFleet, AppstreamFleetComputeCapacity, AppstreamFleetVpcConfig
from cdktf_cdktf_provider_aws.appstream_fleet_stack_association import AppstreamFleetStackAssociation
from cdktf_cdktf_provider_aws.appstream_stack import (
    AppstreamStack,
    AppstreamStackApplicationSettings,
    AppstreamStackStorageConnectors,
    AppstreamStackUserSettings,
)
from cdktf_cdktf_provider_aws.appstream_user import AppstreamUser
from cdktf_cdktf_provider_aws.appstream_user_stack_association import AppstreamUserStackAssociation
from constructs import Construct

from modules.access import allow_from, https_out, security_group
from modules.omero_facts import SERVER_PORT

USER_POOL = "USERPOOL"


@dataclass(frozen=True, kw_only=True)
class SessionPermissions:
    """What a user may move between the session and their own computer."""

    clipboard_to_session: bool = True  # paste from the local computer into OMERO.insight
    clipboard_to_local: bool = False  # copy out of the session
    file_upload: bool = True  # upload files into the session (to import them)
    file_download: bool = False  # download files from the session
    printing: bool = False  # print to a local printer

    def user_settings(self) -> list[AppstreamStackUserSettings]:
        """Every action AppStream knows, each set explicitly: AWS fills in any left out, and
        Terraform would then plan to remove them on every run."""
        allowed = {
            "CLIPBOARD_COPY_FROM_LOCAL_DEVICE": self.clipboard_to_session,
            "CLIPBOARD_COPY_TO_LOCAL_DEVICE": self.clipboard_to_local,
            "FILE_UPLOAD": self.file_upload,
            "FILE_DOWNLOAD": self.file_download,
            "PRINTING_TO_LOCAL_DEVICE": self.printing,
            # The fleet is not joined to a directory: no domain sign-in.
            "DOMAIN_PASSWORD_SIGNIN": False,
            "DOMAIN_SMART_CARD_SIGNIN": False,
            # The session clock follows the user's time zone (import timestamps read naturally).
            "AUTO_TIME_ZONE_REDIRECTION": True,
        }
        return [
            AppstreamStackUserSettings(action=action, permission="ENABLED" if on else "DISABLED")
            for action, on in allowed.items()
        ]


@dataclass(frozen=True, kw_only=True)
class InsightStreamingProps:
    name: str  # the deployment name; resources are called <name>-omero-insight
    vpc_id: str
    subnet_ids: list[str]  # the private subnets
    server_security_group_id: str  # the OMERO servers' group: gets an ingress rule on 4064
    image_name: str  # the AppStream image with OMERO.insight
    instance_type: str = "stream.standard.medium"
    fleet_type: str = "ON_DEMAND"
    desired_instances: int = 1
    max_session_minutes: int = 480
    disconnect_timeout_minutes: int = 30
    idle_disconnect_timeout_minutes: int = 30  # 0: never disconnect idle users
    permissions: SessionPermissions = SessionPermissions()
    home_folders: bool = True  # per-user folders in an S3 bucket AppStream creates and owns
    persist_application_settings: bool = True
    users: tuple[str, ...] = ()  # e-mail addresses of user-pool users


@dataclass(frozen=True, kw_only=True)
class InsightStreamingOutputs:
    fleet_name: str
    stack_name: str
    security_group_id: str  # the fleet instances' group
    user_names: tuple[str, ...]


def user_id(email: str) -> str:
    """A construct id for a user, stable while the address stays in the list."""
    return "user_" + re.sub(r"[^a-z0-9]+", "_", email.lower()).strip("_")


class InsightStreaming(Construct):
    def __init__(self, scope: Construct, id: str, *, props: InsightStreamingProps):
        super().__init__(scope, id)
        name = f"{props.name}-omero-insight"

        self.security_group = security_group(
            self,
            "fleet_security_group",
            name=f"{props.name}-omero-insight-fleet",
            vpc_id=props.vpc_id,
            description="OMERO.insight streaming instances: Ice to OMERO.server and HTTPS out; no ingress.",
        )
        allow_from(
            self,
            ("to_server", "server_from_insight"),
            self.security_group.id,
            props.server_security_group_id,
            SERVER_PORT,
            "OMERO.server (Ice over TLS)",
            clients="OMERO.insight on AppStream",
        )
        https_out(
            self,
            "https_out",
            self.security_group.id,
            description="HTTPS out: S3 home folders and AppStream services, through the NAT gateways",
        )

        self.fleet = AppstreamFleet(
            self,
            "fleet",
            name=name,
            display_name="OMERO.insight",
            description=f"OMERO.insight for the {props.name} OMERO deployment.",
            image_name=props.image_name,
            instance_type=props.instance_type,
            fleet_type=props.fleet_type,
            stream_view="APP",
            compute_capacity=AppstreamFleetComputeCapacity(desired_instances=props.desired_instances),
            max_user_duration_in_seconds=props.max_session_minutes * 60,
            disconnect_timeout_in_seconds=props.disconnect_timeout_minutes * 60,
            idle_disconnect_timeout_in_seconds=props.idle_disconnect_timeout_minutes * 60,
            # Instances reach the internet only through the private subnets' NAT gateways.
            enable_default_internet_access=False,
            vpc_config=AppstreamFleetVpcConfig(subnet_ids=props.subnet_ids, security_group_ids=[self.security_group.id]),
            tags={"Name": name},
        )
        self.stack = AppstreamStack(
            self,
            "stack",
            name=name,
            display_name="OMERO.insight",
            description=f"Stream OMERO.insight to import into and browse the {props.name} OMERO server.",
            storage_connectors=[AppstreamStackStorageConnectors(connector_type="HOMEFOLDERS")] if props.home_folders else None,
            user_settings=props.permissions.user_settings(),
            application_settings=AppstreamStackApplicationSettings(
                enabled=True,
                settings_group=name,
            )
            if props.persist_application_settings
            else AppstreamStackApplicationSettings(enabled=False),
            tags={"Name": name},
        )
        AppstreamFleetStackAssociation(self, "fleet_stack", fleet_name=self.fleet.name, stack_name=self.stack.name)

        for email in props.users:
            user = AppstreamUser(
                self,
                user_id(email),
                authentication_type=USER_POOL,
                user_name=email,
                # The welcome e-mail carries the sign-in link and a temporary password.
                send_email_notification=True,
            )
            AppstreamUserStackAssociation(
                self,
                f"{user_id(email)}_stack",
                authentication_type=USER_POOL,
                user_name=user.user_name,
                stack_name=self.stack.name,
            )

        self.outputs = InsightStreamingOutputs(
            fleet_name=self.fleet.name,
            stack_name=self.stack.name,
            security_group_id=self.security_group.id,
            user_names=props.users,
        )
