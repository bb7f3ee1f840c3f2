"""TerraformStacks composed from modules: one deployment's network, state bucket and services."""

import modules  # noqa: F401  (registers the AWS provider bindings before any stack imports them)
