"""Route 53: a CREATE of a record set that already exists is refused."""

from __future__ import annotations

from typing import Any

from emulator.patches import Patcher, patch


def _key(name: str, type_: str | None, set_identifier: str | None) -> tuple[str, str, str | None]:
    """What names one record set in a zone: its name (without the trailing dot, in lower case:
    DNS names are case-insensitive), its type and, for weighted, latency, failover and the like,
    its set identifier."""
    return name.rstrip(".").lower(), (type_ or "").upper(), set_identifier


def refusing_existing_creates(original):
    def change_resource_record_sets(self, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        from moto.route53.exceptions import ResourceRecordAlreadyExists

        zone = self.get_hosted_zone(zoneid)
        existing = {_key(r.name, r.type, r.set_identifier) for r in zone.rrsets}
        for change in change_list:
            record = change["ResourceRecordSet"]
            if change["Action"] == "CREATE" and _key(record["Name"], record.get("Type"), record.get("SetIdentifier")) in existing:
                name = record["Name"] if record["Name"].endswith(".") else record["Name"] + "."
                raise ResourceRecordAlreadyExists(name=name, _type=record.get("Type"))
        return original(self, zoneid, change_list)

    return change_resource_record_sets


@patch(
    "route53 create of an existing record",
    (
        "moto 5.2.5 refuses a CREATE only when an identical change is in the zone's journal: a CREATE "
        "of a name and type that already hold other values is accepted and leaves two record sets, "
        "and the provider then polls ListResourceRecordSets for its own until the apply times out. "
        'Route 53 refuses it with InvalidChangeBatch ("Tried to create resource record set [name=..., '
        'type=...] but it already exists"; Route 53 API Reference, Change: CREATE creates, UPSERT '
        "updates a record set that exists), so the apply fails at once naming the record. Here a "
        "CREATE whose name, type and set identifier match a record set in the zone is refused so."
    ),
)
def existing_record_creates(patcher: Patcher) -> None:
    from moto.route53.models import Route53Backend

    patcher.setattr(
        Route53Backend, "change_resource_record_sets", refusing_existing_creates(Route53Backend.change_resource_record_sets)
    )
