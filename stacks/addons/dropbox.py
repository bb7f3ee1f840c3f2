"""The dropbox add-on stack: automated import, a scheduled in-place import into OMERO.

OMERO.dropbox itself (``dropbox.watch``) needs nothing here: the services stack gives the
read-write server the watch properties and folders (``DropBox.server_properties()``,
``watch_directories()``). This stack holds the scheduled import: an ECS task that runs
``omero import`` over the landing folder, started by EventBridge Scheduler.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config import Deployment
from modules.addons.dropbox import ScheduledImport, ScheduledImportProps
from modules.omero_facts import DATA_DIR
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


class DropBoxStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, deployment=deployment, settings=settings, core=core)
        dropbox = deployment.dropbox
        self.scheduled_import = None
        if not dropbox.importing:
            return
        share = core.data_share
        # The task sees what the read-write server sees: /OMERO, and the share where it is mounted.
        roots = [DATA_DIR] + ([share.container_path] if share else [])
        if not any(_under(dropbox.landing_dir, root) for root in roots):
            raise ValueError(
                f"dropbox.landing_dir = {dropbox.landing_dir!r}: allowed: a folder under {' or '.join(roots)} "
                "(what the read-write OMERO.server mounts)"
            )
        if share and not core.services.capacity_provider_name:
            raise ValueError(
                'dropbox: the S3 File Gateway share is mounted on EC2 container instances only (cluster.launch_type = "ec2")'
            )
        self.scheduled_import = ScheduledImport(
            self,
            "scheduled_import",
            props=ScheduledImportProps(
                name=deployment.name,
                image=core.services.server_image,
                cache_repositories_arn=core.services.image_cache_repositories_arn,
                cluster=core.services.cluster,
                vpc_id=core.network.vpc_id,
                subnet_ids=core.network.private_subnet_ids,
                server_host=core.services.server_dns_name,
                server_security_group_id=core.services.server_security_group_id,
                data=core.file_system,
                root_password_secret_arn=core.database.root_password_secret_arn,
                secrets_kms_key_arn=core.database.kms_key_arn,
                landing_dir=dropbox.landing_dir,
                schedule=dropbox.schedule,
                schedule_timezone=dropbox.schedule_timezone,
                import_user=dropbox.import_user,
                import_group=dropbox.import_group,
                import_args=dropbox.import_arguments(),
                settle_minutes=dropbox.settle_minutes,
                cpu=dropbox.cpu,
                memory=dropbox.memory,
                log_retention_days=dropbox.log_retention_days,
                data_share=share,
                capacity_provider=core.services.capacity_provider_name,
            ),
        )
        outputs = self.scheduled_import.outputs
        TerraformOutput(
            self,
            "import_schedule_name",
            value=outputs.schedule_name,
            description="EventBridge Scheduler schedule that starts the import.",
        )
        TerraformOutput(
            self, "import_task_family", value=outputs.task_family, description="ECS task definition family of the import task."
        )
        TerraformOutput(
            self, "import_log_group", value=outputs.log_group_name, description="Log group with each import run's output."
        )
        TerraformOutput(self, "landing_dir", value=dropbox.landing_dir, description="Folder the scheduled import reads.")
        TerraformOutput(self, "run_import_command", value=outputs.run_task_command, description="Start an import now (AWS CLI).")
