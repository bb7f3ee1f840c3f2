"""RDS: DB instance resource ids, and the instance and parameter settings moto does not report."""

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


@patch(
    "rds instance and parameter settings",
    (
        "moto 5.2.5 drops CreateDBInstance's EnablePerformanceInsights, "
        "PerformanceInsightsRetentionPeriod and EngineLifecycleSupport, and ModifyDBInstance keeps "
        "EnablePerformanceInsights under its request name, so DescribeDBInstances reports none of "
        "them; and it stores the parameters of ModifyDBParameterGroup without their Source, which "
        "the provider needs to read them back (it keeps only parameters whose Source is set). Here "
        "instances report PerformanceInsightsEnabled, PerformanceInsightsRetentionPeriod (7 days "
        "when enabled without one, the free tier) and EngineLifecycleSupport (default "
        "open-source-rds-extended-support), and modified parameters have Source user, as in AWS "
        "(RDS API reference: CreateDBInstance, DBInstance, DescribeDBParameters)."
    ),
)
def instance_and_parameter_settings(patcher: Patcher) -> None:
    from moto.rds.models import DBInstance, DBParameterGroup

    init, update, update_parameters = DBInstance.__init__, DBInstance.update, DBParameterGroup.update_parameters

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.performance_insights_enabled = bool(kwargs.get("enable_performance_insights"))
        retention = kwargs.get("performance_insights_retention_period")
        self.performance_insights_retention_period = retention or (7 if self.performance_insights_enabled else None)
        self.engine_lifecycle_support = kwargs.get("engine_lifecycle_support") or "open-source-rds-extended-support"

    def modify(self, **kwargs):
        enabled = kwargs.pop("enable_performance_insights", None)
        if enabled is not None:
            kwargs["performance_insights_enabled"] = enabled
        return update(self, **kwargs)

    def modify_parameters(self, new_parameters):
        return update_parameters(self, [{**parameter, "Source": "user"} for parameter in new_parameters])

    patcher.setattr(DBInstance, "__init__", __init__)
    patcher.setattr(DBInstance, "update", modify)
    patcher.setattr(DBParameterGroup, "update_parameters", modify_parameters)
