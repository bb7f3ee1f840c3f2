"""Elastic Container Service: a service's capacity provider strategy."""

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
