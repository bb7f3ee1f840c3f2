"""The appstream add-on stack: OMERO.insight streamed from an AppStream 2.0 fleet."""

from __future__ import annotations

from constructs import Construct

from config import Deployment
from modules.addons.appstream import InsightStreaming, InsightStreamingProps, SessionPermissions
from modules.omero_facts import SERVER_PORT
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class AppStreamStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, deployment=deployment, settings=settings, core=core)
        config, region = deployment.appstream, deployment.region
        assert config.image_name is not None  # the loader requires it when AppStream is on
        streaming = InsightStreaming(
            self,
            "insight",
            props=InsightStreamingProps(
                name=deployment.name,
                vpc_id=core.network.vpc_id,
                subnet_ids=core.network.private_subnet_ids,
                server_security_group_id=core.services.server_security_group_id,
                image_name=config.image_name,
                instance_type=config.instance_type,
                fleet_type=config.fleet_type,
                desired_instances=config.desired_instances,
                max_session_minutes=config.max_session_minutes,
                disconnect_timeout_minutes=config.disconnect_timeout_minutes,
                idle_disconnect_timeout_minutes=config.idle_disconnect_timeout_minutes,
                permissions=SessionPermissions(
                    clipboard_to_session=config.clipboard_to_session,
                    clipboard_to_local=config.clipboard_to_local,
                    file_upload=config.file_upload,
                    file_download=config.file_download,
                    printing=config.printing,
                ),
                home_folders=config.home_folders,
                persist_application_settings=config.persist_application_settings,
                users=config.users,
            ),
        ).outputs

        fleet, stack = streaming.fleet_name, streaming.stack_name
        streaming_url = (
            f"aws appstream create-streaming-url --region {region} --stack-name {stack} --fleet-name {fleet} "
            "--user-id <your-name> --validity 300 --query StreamingURL --output text"
        )
        start_fleet = f"aws appstream start-fleet --region {region} --name {fleet}"
        out = self.output
        out("fleet_name", fleet, "AppStream fleet streaming OMERO.insight.")
        out("stack_name", stack, "AppStream stack users sign in to.")
        out("security_group_id", streaming.security_group_id, "Security group of the streaming instances.")
        out(
            "start_fleet_command",
            start_fleet,
            "Start the fleet again after stopping it (apply starts a new fleet; stopped fleets bill nothing).",
        )
        out("streaming_url_command", streaming_url, "A 5-minute streaming URL for one session, for an administrator.")
        out(
            "omero_server_address",
            core.services.server_dns_name,
            f"Server to enter in OMERO.insight's login dialog (port {SERVER_PORT}).",
        )
