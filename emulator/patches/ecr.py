"""Elastic Container Registry: pull-through cache rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from emulator.patches import Patcher, patch
from emulator.patches._wsgi import ApiError, json_service

_PREFIX_PATTERN = re.compile(r"^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*/?|ROOT)$")
_REGISTRIES = {
    "registry-1.docker.io": "docker-hub",
    "public.ecr.aws": "ecr-public",
    "quay.io": "quay",
    "ghcr.io": "github-container-registry",
    "registry.k8s.io": "k8s",
}
_rules: dict[tuple[str, str], dict[str, dict]] = {}  # emptied when the patch is applied


def _secret_exists(account: str, region: str, arn: str) -> bool:
    from moto.secretsmanager.models import secretsmanager_backends

    secrets = secretsmanager_backends[account][region].secrets
    name = arn.split(":secret:", 1)[-1]
    return arn in secrets or name in secrets or re.sub(r"-[A-Za-z0-9]{6}$", "", name) in secrets


def create_pull_through_cache_rule(account, region, body):
    prefix, url = body.get("ecrRepositoryPrefix", ""), body.get("upstreamRegistryUrl", "")
    if not (2 <= len(prefix) <= 30 and _PREFIX_PATTERN.match(prefix)):
        raise ApiError("InvalidParameterException", f"Invalid parameter at 'ecrRepositoryPrefix': {prefix!r}")
    if url not in _REGISTRIES:
        raise ApiError("UnsupportedUpstreamRegistryException", f"The upstream registry {url} is not supported.")
    credential = body.get("credentialArn")
    if url == "registry-1.docker.io" and not credential:
        raise ApiError("InvalidParameterException", "A credentialArn is required for upstream registry registry-1.docker.io.")
    if credential:
        if f":secretsmanager:{region}:" not in credential or ":secret:ecr-pullthroughcache/" not in credential:
            raise ApiError("InvalidParameterException", f"Invalid parameter at 'credentialArn': {credential}")
        if not _secret_exists(account, region, credential):
            raise ApiError("SecretNotFoundException", f"The secret {credential} could not be found.")
    store = _rules.setdefault((account, region), {})
    if prefix in store:
        raise ApiError(
            "PullThroughCacheRuleAlreadyExistsException", f"A pull through cache rule with prefix {prefix} already exists."
        )
    rule = {
        "ecrRepositoryPrefix": prefix,
        "upstreamRegistryUrl": url,
        "registryId": account,
        "createdAt": datetime.now(UTC).timestamp(),
        "upstreamRegistry": _REGISTRIES[url],
        # Only ECR-to-ECR rules carry an upstream prefix: a Docker Hub rule is described without
        # one (the provider's basic acceptance test re-plans such a rule empty).
        **({"upstreamRepositoryPrefix": body["upstreamRepositoryPrefix"]} if body.get("upstreamRepositoryPrefix") else {}),
        **({"credentialArn": credential} if credential else {}),
        **({"customRoleArn": body["customRoleArn"]} if body.get("customRoleArn") else {}),
    }
    store[prefix] = rule
    return rule


def describe_pull_through_cache_rules(account, region, body):
    store = _rules.get((account, region), {})
    wanted = body.get("ecrRepositoryPrefixes")
    for prefix in wanted or ():
        if prefix not in store:
            raise ApiError(
                "PullThroughCacheRuleNotFoundException", f"The pull through cache rule with prefix {prefix} was not found."
            )
    return {"pullThroughCacheRules": [store[p] for p in (wanted or sorted(store))]}


def delete_pull_through_cache_rule(account, region, body):
    store = _rules.get((account, region), {})
    prefix = body.get("ecrRepositoryPrefix", "")
    if prefix not in store:
        raise ApiError(
            "PullThroughCacheRuleNotFoundException", f"The pull through cache rule with prefix {prefix} was not found."
        )
    return store.pop(prefix)


@patch(
    "ecr pull-through cache rules",
    (
        "moto 5.2.5 has no ECR pull-through cache rules (CreatePullThroughCacheRule answers "
        "'not yet implemented'). Here Create/Describe/DeletePullThroughCacheRule are answered per "
        "account and region as the ECR API Reference documents them: ecrRepositoryPrefix of 2-30 "
        "characters in ECR's pattern, PullThroughCacheRuleAlreadyExistsException, "
        "PullThroughCacheRuleNotFoundException; for Docker Hub (registry-1.docker.io) a "
        "credentialArn is required, must name a secret 'ecr-pullthroughcache/...' in the rule's "
        "region and that secret must exist (SecretNotFoundException otherwise; a full ARN's "
        "six-character suffix is AWS's own and is not compared). Images are not pulled through."
    ),
)
def pull_through_cache_rules(patcher: Patcher) -> None:
    _rules.clear()
    actions = {
        "CreatePullThroughCacheRule": create_pull_through_cache_rule,
        "DescribePullThroughCacheRules": describe_pull_through_cache_rules,
        "DeletePullThroughCacheRule": delete_pull_through_cache_rule,
    }
    json_service(patcher, "AmazonEC2ContainerRegistry_V20150921", "message", actions, only=frozenset(actions))
