"""What OMERO.server is to everything around it: its ports, its data directory, its user, and the
NFS shares it mounts.

These are facts of OMERO and of the openmicroscopy/omero-server image, not of one construct: the
security groups, the load balancers and the add-ons read them here without importing the service
(``modules/omero_server.py``), which only ``stacks/services.py`` composes.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinitionVolume,
    EcsTaskDefinitionVolumeDockerVolumeConfiguration,
)

SERVER_PORT = 4064  # Ice over TLS: OMERO.web, OMERO.insight and the CLI
PLAIN_PORT = 4063  # Ice without TLS
DATA_DIR = "/OMERO"  # omero.data.dir: the binary repository
SHARE_VOLUME = "omero-share"  # the task volume of an NFS share beside /OMERO
# The uid/gid the openmicroscopy/omero-server image runs as.
OMERO_UID = 1000
OMERO_GID = 1000
# NFS 4.1 (one port, no lock daemon), hard mounts that wait out a restart of the NFS server
# instead of handing OMERO I/O errors, and the timeouts AWS recommends for its NFS services.
NFS_OPTIONS = "nfsvers=4.1,hard,timeo=600,retrans=2,noresvport"


@dataclass(frozen=True, kw_only=True)
class NfsShare:
    """An NFS export the OMERO servers mount (the S3 File Gateway add-on; EC2 launch type only).

    Mounted at ``container_path``: "/OMERO" makes it the binary repository instead of EFS; any
    other path (e.g. "/s3uploads") adds it beside /OMERO on EFS, for in-place import of its files.
    """

    host: str  # the NFS server's private IP address or DNS name
    path: str  # the export, e.g. "/omero-prod-omero-data"
    container_path: str  # where the servers see it
    security_group_id: str  # the OMERO servers get NFS access by an ingress rule to this group

    @property
    def holds_repository(self) -> bool:
        return self.container_path == DATA_DIR


def nfs_volume(name: str, share: NfsShare, *, read_only: bool) -> EcsTaskDefinitionVolume:
    """A Docker volume the container instance mounts from ``share`` when the task starts."""
    options = f"addr={share.host},{NFS_OPTIONS}" + (",ro" if read_only else "")
    return EcsTaskDefinitionVolume(
        name=name,
        docker_volume_configuration=EcsTaskDefinitionVolumeDockerVolumeConfiguration(
            scope="task",
            driver="local",
            driver_opts={"type": "nfs", "device": f":{share.path}", "o": options},
        ),
    )
