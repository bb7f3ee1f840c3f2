"""A manual RDS snapshot taken before each OMERO.server image is first started.

OMERO.server's start script upgrades the database schema when the image is newer than the
database (``omego db upgrade``); that cannot be undone. The snapshot's identifier carries the
image tag, so changing ``server.image`` replaces it: Terraform makes the new snapshot first
(``create_before_destroy``), the server services start the new image only after it exists
(they depend on it), and the snapshot of the upgrade before is deleted last. The plan of an
upgrade therefore always shows this snapshot being replaced, and ``pipenv run diff`` calls it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.db_snapshot import DbSnapshot, DbSnapshotTimeouts
from constructs import Construct

IDENTIFIER_MAX = 255


def image_label(image: str) -> str:
    """The image's tag (or the first 12 hex digits of its digest), as identifier-safe text."""
    if "@" in image:
        ref = image.rsplit("@", 1)[1].split(":", 1)[-1][:12]
    else:
        ref = image.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return re.sub(r"[^a-z0-9]+", "-", ref.lower()).strip("-") or "untagged"


def snapshot_identifier(name: str, image: str) -> str:
    """``<name>-omero-before-<tag>``: letters, digits and single hyphens, as RDS requires."""
    identifier = f"{name}-omero-before-{image_label(image)}"[:IDENTIFIER_MAX]
    return re.sub(r"-+", "-", identifier).rstrip("-")


@dataclass(frozen=True, kw_only=True)
class UpgradeSnapshotProps:
    name: str  # the deployment name
    image: str  # the OMERO.server image about to start
    db_instance_id: str


class UpgradeSnapshot(Construct):
    def __init__(self, scope: Construct, id: str, *, props: UpgradeSnapshotProps):
        super().__init__(scope, id)
        self.snapshot = DbSnapshot(
            self,
            "snapshot",
            db_instance_identifier=props.db_instance_id,
            db_snapshot_identifier=snapshot_identifier(props.name, props.image),
            tags={"omero-server-image": props.image[:256]},
            timeouts=DbSnapshotTimeouts(create="120m"),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
