"""The AWS context a module reads from the stack it is in: region, account, partition.

The AWS CDK's habit (``Stack.of(this).region``, ``.account``) in cdktf: ``TerraformStack.of(scope)``
finds the enclosing stack, and the stack knows where it deploys. So a module's props carry what
differs between its uses, never what its stack already knows:

    aws = stack_context(self)
    arn = f"arn:{aws.partition}:ecs:{aws.region}:{aws.account_id}:task/*"

Modules never import ``stacks/`` (stacks compose modules): the stack satisfies the ``AwsContext``
protocol below, as ``stacks.base.DeploymentStack`` does. Its account and partition are data sources
made once per stack on first use, so a stack whose modules never ask has none.

A resource placed in another region than its stack's, through a provider of its own (the backup
copy vault), takes that provider explicitly; the stack's region never stands in for it.
"""

from __future__ import annotations

from typing import Protocol, cast

from cdktf import TerraformStack
from constructs import IConstruct

CONTEXT = ("region", "account_id", "partition", "dns_suffix")


class AwsContext(Protocol):
    """Where a stack deploys. Values may be unresolved references (data sources of the stack)."""

    @property
    def region(self) -> str:
        """The region of the stack's AWS provider, e.g. "eu-central-1"."""
        ...

    @property
    def account_id(self) -> str:
        """The account the stack deploys into."""
        ...

    @property
    def partition(self) -> str:
        """The partition, for ARNs: "aws", "aws-cn", "aws-us-gov"."""
        ...

    @property
    def dns_suffix(self) -> str:
        """The partition's DNS suffix, for service host names: "amazonaws.com", ..."""
        ...


def stack_context(scope: IConstruct) -> AwsContext:
    """The AWS context of the stack ``scope`` is in; TypeError if that stack does not give one."""
    stack = TerraformStack.of(scope)
    # Looked up on the class: reading the properties would make the stack's data sources.
    missing = [name for name in CONTEXT if not hasattr(type(stack), name)]
    if missing:
        raise TypeError(
            f"{scope.node.path}: its stack ({type(stack).__name__}) gives no AWS context (no {', '.join(missing)}); "
            "build it in a stack that satisfies modules.context.AwsContext, such as stacks.base.DeploymentStack"
        )
    return cast(AwsContext, stack)
