"""What a production deployment must have, or say in a waiver why it does not.

A deployment is production when its name or its ``environment`` tag says so
(:func:`config.backup.looks_like_production`). Besides backups (``backup.enabled``, waived by
``backup.waiver``) and authenticated image pulls (``images.anonymous_pulls_waiver``), checked in
their own blocks, it needs:

- a Multi-AZ database (``database.multi_az``): RDS keeps a synchronous standby in another AZ and
  fails over to it when the primary's AZ or host fails, and during maintenance (RDS User Guide,
  "Multi-AZ DB instance deployments"); a Single-AZ instance is down until it is repaired or
  restored. Waived by ``database.single_az_waiver``;
- HTTPS (``load_balancer.domain_name``): without it OMERO.web's logins and session cookies cross
  the internet in plain HTTP. Waived by ``load_balancer.plain_http_waiver``;
- the file gateway's bucket under AWS Backup (``file_gateway.backup``): with ``role =
  "repository"`` it holds /OMERO, with ``"import"`` the only copy of the files imported in place.
  Waived by ``file_gateway.backup_waiver`` (without any backup, ``backup.waiver`` says it).

A waiver is a reason in words, kept in the deployment file for whoever reads it next; an empty one
does not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from config.backup import looks_like_production
from config.fields import Problem

if TYPE_CHECKING:
    from config.schema import Deployment


def _waived(reason: str | None) -> bool:
    return bool((reason or "").strip())


def production_problems(deployment: Deployment) -> Iterator[Problem]:
    """The rules above, and each waiver only where it waives something."""
    database, load_balancer, gateway = deployment.database, deployment.load_balancer, deployment.file_gateway
    if database.single_az_waiver is not None and database.multi_az:
        yield Problem("database.single_az_waiver", database.single_az_waiver, "only with multi_az = false")
    if load_balancer.plain_http_waiver is not None and load_balancer.tls:
        yield Problem("load_balancer.plain_http_waiver", load_balancer.plain_http_waiver, "only without domain_name (HTTP)")
    if not looks_like_production(deployment):
        return
    name = deployment.name
    if not database.multi_az and not _waived(database.single_az_waiver):
        yield Problem(
            "database.multi_az",
            False,
            f"true for a production deployment ({name}): a standby in a second AZ takes over when the first fails; "
            "or a database.single_az_waiver saying why not",
        )
    if not load_balancer.tls and not _waived(load_balancer.plain_http_waiver):
        yield Problem(
            "load_balancer.domain_name",
            None,
            "",
            text=f"missing; a production deployment ({name}) serves OMERO.web over HTTPS (domain_name and hosted_zone_id), "
            "or a load_balancer.plain_http_waiver says why not",
        )
    if deployment.backup.enabled and gateway.enabled and not gateway.backup and not _waived(gateway.backup_waiver):
        holds = "/OMERO itself" if gateway.holds_repository else "the only copy of files imported in place"
        yield Problem(
            "file_gateway.backup",
            False,
            f"true for a production deployment ({name}), whose share's bucket holds {holds}; "
            "or a file_gateway.backup_waiver saying why not",
        )
