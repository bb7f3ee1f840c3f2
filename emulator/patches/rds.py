"""RDS: DB instance resource ids."""

from __future__ import annotations

import string

from emulator.patches import Patcher, patch


@patch(
    "rds instance resource ids",
    (
        "moto 5.2.5 gives every DB instance the same DbiResourceId (db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U). "
        "The provider finds an instance by that id (its resource id), so with two instances in "
        "a region, such as a database and the one restored from its snapshot, it finds two and "
        "waits for ever. Here each instance gets its own, as in AWS."
    ),
)
def instance_resource_ids(patcher: Patcher) -> None:
    from moto.moto_api._internal import mock_random
    from moto.rds.models import DBInstance

    init = DBInstance.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        alphabet = string.ascii_uppercase + string.digits
        self.dbi_resource_id = "db-" + "".join(mock_random.choice(alphabet) for _ in range(26))

    patcher.setattr(DBInstance, "__init__", __init__)
