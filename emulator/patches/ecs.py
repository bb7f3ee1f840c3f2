"""Elastic Container Service: a service's capacity provider strategy and its other settings."""

from __future__ import annotations

from emulator.patches import Patcher, patch


@patch(
    "ecs service capacity provider strategy",
    (
        "moto 5.2.5 ignores the capacityProviderStrategy of CreateService and reports the "
        "service on the EC2 launch type instead, so a service placed by a capacity provider is "
        "replaced on every plan. Here the strategy is kept and reported, without a launch type, "
        "as AWS does."
    ),
)
def capacity_provider_strategy(patcher: Patcher) -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    create = EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = create(self)
        strategy = self._get_param("capacityProviderStrategy")
        if strategy:
            service = result.result["service"]
            service.capacity_provider_strategy = strategy
            service.launch_type = None
        return result

    patcher.setattr(EC2ContainerServiceResponse, "create_service", create_service)


# CreateService's settings that stock moto drops, and the attribute each is kept in: the names
# moto's own UpdateService stores them under (camelcase_to_underscores), so that an update after
# the create changes the same attribute and DescribeServices reports whichever came last.
SERVICE_SETTINGS = {
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "enableExecuteCommand": "enable_execute_command",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
}


@patch(
    "ecs service settings",
    (
        "moto 5.2.5 drops four settings of CreateService: availabilityZoneRebalancing, "
        "enableECSManagedTags, enableExecuteCommand and healthCheckGracePeriodSeconds (its "
        "UpdateService keeps them), so DescribeServices reports none of them and every plan after "
        "a create changes them back. Here CreateService keeps them, and DescribeServices reports "
        "them, as AWS does (ECS API reference: CreateService, Service)."
    ),
)
def service_settings(patcher: Patcher) -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    create = EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = create(self)
        service = result.result["service"]
        for parameter, attribute in SERVICE_SETTINGS.items():
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        return result

    patcher.setattr(EC2ContainerServiceResponse, "create_service", create_service)
