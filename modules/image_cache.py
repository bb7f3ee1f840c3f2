"""An ECR pull-through cache of Docker Hub, so that no task pulls from Docker Hub anonymously.

The rule maps ``<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<namespace>/<image>:<tag>`` to
``docker.io/<namespace>/<image>:<tag>``: the first pull of a tag imports it from Docker Hub with the
account's token (read by ECR's service-linked role from the ``ecr-pullthroughcache/`` secret), every
later pull is served from the deployment's registry (Amazon ECR User Guide, "Sync an upstream
registry with an Amazon ECR private registry").
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecr_pull_through_cache_rule import EcrPullThroughCacheRule
from constructs import Construct

from config.images import cached_image
from modules.context import stack_context

DOCKER_HUB = "registry-1.docker.io"  # CreatePullThroughCacheRule's upstreamRegistryUrl for Docker Hub


@dataclass(frozen=True, kw_only=True)
class ImageCacheProps:
    name: str  # the deployment name (at most 20 characters)
    credential_arn: str  # the ecr-pullthroughcache/ secret


@dataclass(frozen=True, kw_only=True)
class ImageCacheOutputs:
    registry: str  # <account>.dkr.ecr.<region>.<dns suffix>
    prefix: str  # the rule's repository prefix
    repositories_arn: str  # every repository the rule creates and fills

    def image(self, upstream: str) -> str:
        return cached_image(upstream, self.registry, self.prefix)


class DockerHubCache(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ImageCacheProps):
        super().__init__(scope, id)
        # ecrRepositoryPrefix: 2-30 characters (ECR API Reference, CreatePullThroughCacheRule);
        # a deployment name has at most 20, so this has at most 30.
        prefix = f"{props.name}-dockerhub"
        self.rule = EcrPullThroughCacheRule(
            self,
            "rule",
            ecr_repository_prefix=prefix,
            upstream_registry_url=DOCKER_HUB,
            credential_arn=props.credential_arn,
        )
        # The prefix from the rule's attribute: a task definition naming a cached image then waits
        # for the rule, and its first pull cannot come before it.
        prefix = self.rule.ecr_repository_prefix
        aws = stack_context(self)
        self.outputs = ImageCacheOutputs(
            registry=f"{aws.account_id}.dkr.ecr.{aws.region}.{aws.dns_suffix}",
            prefix=prefix,
            repositories_arn=f"arn:{aws.partition}:ecr:{aws.region}:{aws.account_id}:repository/{prefix}/*",
        )
