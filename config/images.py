"""Where the ECS tasks pull the OMERO images from.

Docker Hub allows 10 anonymous pulls per hour per IPv4 address (Docker docs, "Usage and limits"),
and every task of a deployment pulls through the same NAT gateway(s): a first deploy, a web
scale-out, the hourly import and any restart loop use them up, and new tasks then fail with
``CannotPullContainerError: toomanyrequests``. With a Docker Hub account's token in Secrets
Manager, an ECR pull-through cache rule serves the images from the deployment's own registry
instead, pulling each from Docker Hub once, authenticated. ``server.image`` and ``web.image``
keep naming the upstream images.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.backup import looks_like_production, region_of_arn
from config.fields import Block, Problem, key

if TYPE_CHECKING:
    from config.schema import Deployment

# CreatePullThroughCacheRule's credentialArn: a secret whose name starts "ecr-pullthroughcache/",
# in the rule's account and region (Amazon ECR User Guide, "Creating a pull through cache rule";
# ECR API Reference, CreatePullThroughCacheRule).
_PULL_THROUGH_SECRET = checks.Pattern(
    r"arn:aws(?:-cn|-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache/[A-Za-z0-9/_+=.@-]+"
)


def pull_through_secret(value: str) -> str | None:
    if _PULL_THROUGH_SECRET.fullmatch(value):
        return None
    return (
        'the ARN of a Secrets Manager secret named "ecr-pullthroughcache/<anything>" (ECR requires the prefix), '
        'holding {"username": ..., "accessToken": ...} of a Docker Hub account'
    )


@dataclass(frozen=True, kw_only=True)
class Images(Block):
    """Where the ECS tasks pull the OMERO images from."""

    docker_hub_secret_arn: str | None = key(
        None,
        'Secret "ecr-pullthroughcache/..." with a Docker Hub username and accessToken: the images come through an ECR '
        "pull-through cache of the deployment's region; unset: anonymous Docker Hub pulls (10 an hour per IP address).",
        checks=[pull_through_secret],
    )
    anonymous_pulls_waiver: str | None = key(
        None,
        "Why this production deployment pulls from Docker Hub anonymously; needed there when docker_hub_secret_arn is unset.",
    )

    @property
    def pull_through(self) -> bool:
        return self.docker_hub_secret_arn is not None

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.pull_through and self.anonymous_pulls_waiver is not None:
            yield Problem("anonymous_pulls_waiver", self.anonymous_pulls_waiver, "only without docker_hub_secret_arn")

    def deployment_problems(self, deployment: Deployment) -> Iterator[Problem]:
        if self.pull_through:
            region = region_of_arn(self.docker_hub_secret_arn or "")
            if region != deployment.region:
                yield Problem(
                    "images.docker_hub_secret_arn",
                    self.docker_hub_secret_arn,
                    f"a secret in the deployment's region ({deployment.region}): ECR reads it from the rule's region",
                )
        elif looks_like_production(deployment) and not (self.anonymous_pulls_waiver or "").strip():
            yield Problem(
                "images.docker_hub_secret_arn",
                None,
                "",
                text=(
                    f"missing: a production deployment ({deployment.name}) must not depend on anonymous Docker Hub pulls "
                    "(10 an hour per IP address); set it, or images.anonymous_pulls_waiver saying why"
                ),
            )


_DOCKER_HUB_HOSTS = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")


def _without_docker_hub_host(image: str) -> str:
    for host in _DOCKER_HUB_HOSTS:
        if image.startswith(host):
            return image[len(host) :]
    return image


def from_docker_hub(image: str) -> bool:
    """Whether ``image`` names Docker Hub: by one of its hosts, or by no registry host at all."""
    first, slash, _ = _without_docker_hub_host(image).partition("/")
    return not slash or not ("." in first or ":" in first or first == "localhost")


def cached_image(image: str, registry: str, prefix: str) -> str:
    """``image`` as pulled through the cache rule ``prefix`` of ``registry``
    (<account>.dkr.ecr.<region>.amazonaws.com); images of other registries are left as they are.
    Official images (no namespace) need ``library/`` (Amazon ECR User Guide, "Pulling an image
    with a pull through cache rule")."""
    if not from_docker_hub(image):
        return image
    base, at, digest = _without_docker_hub_host(image).partition("@")
    colon = base.rfind(":")
    repository, tag = (base[:colon], base[colon:]) if colon > base.rfind("/") else (base, "")
    if "/" not in repository:
        repository = f"library/{repository}"
    return f"{registry}/{prefix}/{repository}{tag}{at}{digest}"
