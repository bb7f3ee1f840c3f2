"""A manual RDS snapshot taken before each OMERO.server image is first started.

OMERO.server's start script upgrades the database schema when the image is newer than the
database (``omego db upgrade``); that cannot be undone. The snapshot's identifier carries the
image tag, so changing ``server.image`` replaces it: Terraform makes the new snapshot first
(``create_before_destroy``) and deletes the snapshot of the upgrade before last. The plan of an
upgrade therefore always shows this snapshot being replaced, and ``pipenv run diff`` calls it out.

The snapshot lives in the storage stack (``UpgradeSnapshot``), beside the database it copies, and
not in the services stack, which is destroyed and redeployed at will: a destroy of the services
stack leaves it, and a destroy of the storage stack is refused at plan time (``prevent_destroy``
on the file system and the database), before it touches anything. An upgrade applies the
storage stack (the snapshot) before the services stack (the new image). The services stack holds
``SnapshotTaken``: the server services depend on it, and its precondition refuses a plan of the
services stack while the storage stack's snapshot is not the one for the image about to start,
so a new image never starts before its snapshot exists, whichever stack is applied first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf import Postcondition, TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_db_snapshot import DataAwsDbSnapshot
from cdktf_cdktf_provider_aws.db_snapshot import DbSnapshot, DbSnapshotTimeouts
from constructs import Construct

# RDS CreateDBSnapshot, DBSnapshotIdentifier: 1 to 255 letters, digits or hyphens, the first a
# letter, no two hyphens in a row and no hyphen at the end (RDS API Reference).
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
    """The snapshot itself, in the storage stack: ``identifier`` names it to the services stack."""

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
        self.identifier: str = self.snapshot.db_snapshot_identifier


@dataclass(frozen=True, kw_only=True)
class SnapshotTakenProps:
    name: str  # the deployment name
    image: str  # the OMERO.server image about to start
    snapshot_identifier: str  # the storage stack's snapshot (UpgradeSnapshot.identifier)


class SnapshotTaken(Construct):
    """In the services stack: the storage stack's snapshot, checked to be the one for ``image``.

    A data source the server services depend on, read from RDS under the identifier the storage
    stack's state holds; its postcondition requires that to be the identifier this image needs,
    so until the storage stack has taken the new snapshot the apply stops here, before any
    server service changes, with one line saying what to apply first. A snapshot deleted by hand
    stops it too (the provider finds none).

    The read must wait for the apply: at plan time the storage stack may not have been applied
    yet, and a plan reviewed before the deploy (``pipenv run plan``) must still show the upgrade.
    Terraform defers a data source's read to the apply when it depends on a managed resource with
    changes planned (Terraform documentation, "Data Sources": data resource behavior), so the
    data source depends on a ``terraform_data`` (Terraform's built-in provider: no cloud object)
    whose ``input`` is the image: it changes exactly when the image does.
    """

    def __init__(self, scope: Construct, id: str, *, props: SnapshotTakenProps):
        super().__init__(scope, id)
        expected = snapshot_identifier(props.name, props.image)
        image = TerraformResource(self, "image", terraform_resource_type="terraform_data")
        image.add_override("input", props.image)
        self.snapshot = DataAwsDbSnapshot(
            self,
            "snapshot",
            db_snapshot_identifier=props.snapshot_identifier,
            depends_on=[image],
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        # The id, which the provider sets from what RDS returns (data source
                        # aws_db_snapshot: d.SetId(DBSnapshotIdentifier)): unknown while the read
                        # is deferred, so a plan passes. A condition on db_snapshot_identifier, an
                        # argument, would be known at plan and refuse it there.
                        condition=f'${{self.id == "{expected}"}}',
                        error_message=(
                            f"server.image: {props.image} starts only after the database snapshot {expected}, "
                            f"which the storage stack ({props.name}-storage) takes: apply that stack first, then this one."
                        ),
                    )
                ]
            ),
        )
