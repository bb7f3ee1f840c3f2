"""EC2: security group rule descriptions, launch template tags, detailed monitoring and what an
instance reports (its groups and public-IP association when launched with a network interface
spec, its maintenance options)."""

from __future__ import annotations

from emulator.patches import Patcher, patch


@patch(
    "security group rule descriptions",
    (
        "moto 5.2.5 reports the description of a security group rule only for rules with an "
        "address range, not for rules that reference another group, so every such rule re-plans "
        "its description. Here the referenced group's description is reported too."
    ),
)
def security_group_rule_descriptions(patcher: Patcher) -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    patcher.setattr(
        SecurityGroupRule,
        "description",
        property(lambda self: self.ip_range.get("Description") or self.source_group.get("Description")),
    )


@patch(
    "launch template tags",
    (
        "moto 5.2.5 files the tags of a launch template itself (TagSpecifications of type "
        "launch-template) under the template's launch data as well, so the template re-plans a "
        "new version forever. Here they stay on the template only, as in AWS."
    ),
)
def launch_template_tags(patcher: Patcher) -> None:
    from moto.ec2.responses.launch_templates import LaunchTemplates

    create = LaunchTemplates.create_launch_template

    def create_launch_template(self):
        result = create(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        for version in template.versions:
            specs = version.data.get("TagSpecifications")
            if specs:
                version.data["TagSpecifications"] = [s for s in specs if s.get("ResourceType") != "launch-template"]
        return result

    patcher.setattr(LaunchTemplates, "create_launch_template", create_launch_template)


@patch(
    "ec2 detailed monitoring",
    (
        "moto 5.2.5 answers MonitorInstances and UnmonitorInstances with 500 (not implemented); "
        "the provider calls them for an instance's monitoring switch and retries for many "
        "minutes. Here they set the monitoring state moto already keeps on the instance, so "
        "DescribeInstances reports Monitoring.State enabled or disabled, as AWS does."
    ),
)
def detailed_monitoring(patcher: Patcher) -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.monitoring import Monitoring

    def set_monitoring(self, state: str, reported: str) -> ActionResult:
        instance_ids = self._get_param("InstanceIds", [])
        self.error_on_dryrun()
        instances = [self.ec2_backend.get_instance(instance_id) for instance_id in instance_ids]
        for instance in instances:
            instance.monitoring_state = state
        # AWS answers with the transition; DescribeInstances shows the settled state.
        return ActionResult(
            {"InstanceMonitorings": [{"InstanceId": instance.id, "Monitoring": {"State": reported}} for instance in instances]}
        )

    patcher.setattr(Monitoring, "monitor_instances", lambda self: set_monitoring(self, "enabled", "pending"))
    patcher.setattr(Monitoring, "unmonitor_instances", lambda self: set_monitoring(self, "disabled", "disabling"))


@patch(
    "ec2 instances launched with a network interface spec",
    (
        "moto 5.2.5 reports no SecurityGroups on an instance whose groups were given in its "
        "NetworkInterfaces spec (what the provider sends with associate_public_ip_address), and "
        "an empty Association on every instance interface without a public IP, which the "
        "provider reads as a public IP: the second plan replaces the instance. Here such an "
        "instance reports its primary interface's groups, and an empty Association is left out, "
        "as in AWS."
    ),
)
def instance_network_interface_spec(patcher: Patcher) -> None:
    from moto.core.serialize import return_if_not_empty
    from moto.ec2.models.instances import Instance
    from moto.ec2.responses._base_response import EC2BaseResponse

    def get_security_groups(self):
        groups = self.__dict__.get("_own_security_groups")
        nics = self.__dict__.get("nics") or {}
        if not groups and 0 in nics:
            # Launched with its groups on the interface only: the instance has its interface's groups.
            return list(nics[0]._group_set)
        return groups

    def set_security_groups(self, groups) -> None:
        self.__dict__["_own_security_groups"] = groups

    patcher.setattr(Instance, "security_groups", property(get_security_groups, set_security_groups))
    interface = "Instances.Instance.NetworkInterfaces.InstanceNetworkInterface"
    for path in (f"{interface}.Association", f"{interface}.PrivateIpAddresses.InstancePrivateIpAddress.Association"):
        patcher.setitem(EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER, path, return_if_not_empty)


@patch(
    "ec2 instance maintenance options",
    (
        "moto 5.2.5 ignores the MaintenanceOptions of RunInstances and reports none, so an "
        "instance with maintenance_options re-plans them forever. Here DescribeInstances reports "
        'the AutoRecovery given at launch (default: "default"), as AWS does.'
    ),
)
def instance_maintenance_options(patcher: Patcher) -> None:
    from moto.ec2.models.instances import Instance
    from moto.ec2.responses.instances import InstanceResponse

    # What AWS reports when none was given.
    patcher.setattr(Instance, "maintenance_options", {"AutoRecovery": "default"})
    run = InstanceResponse.run_instances

    def run_instances(self):
        result = run(self)
        auto_recovery = (self._get_param("MaintenanceOptions") or {}).get("AutoRecovery")
        if auto_recovery:
            for instance in result.result.instances:
                instance.maintenance_options = {"AutoRecovery": auto_recovery}
        return result

    patcher.setattr(InstanceResponse, "run_instances", run_instances)
