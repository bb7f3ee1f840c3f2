"""Add-on configuration: one block per add-on, each off until ``enabled = true``.

Each block is a :class:`config.addons.base.Addon`, in its own module here: its own keys and rules,
plus rules that look at the rest of the deployment (``deployment_checks``), which the deployment
runs after every block is built, and the stack it adds (``stack_role``, ``stack_class``,
``on_services``). ``config.schema.Deployment`` has one field per add-on; ``config.catalog`` makes
each add-on's stack entry from those fields.
"""

from config.addons.base import Addon

__all__ = ["Addon"]
