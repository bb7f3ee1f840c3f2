"""``pipenv run plan``: what ``terraform plan`` would do to a deployment, read for a reviewer.

- ``report``: ``terraform show -json`` of one stack's plan read into changes and alerts, and the
  report rendered as text, Markdown (a pull-request comment) and JSON;
- ``compare``: the deploy workflow's gate, ``python -m tools.plan.compare REVIEWED FRESH``: does a
  fresh plan make the reviewed changes?
- ``review``: synthesize, plan every stack (``terraform plan -lock=false``), the exit status and
  the reports;
- ``rehearsal``: ``--rehearse --base REV``: the base revision applied on a local AWS API emulator
  and the working tree reviewed against it (no AWS account needed);
- ``__main__``: the command, ``python -m tools.plan``: its options and exit status.

A module here imports only modules listed above it; nothing imports ``__main__`` or ``compare``,
the two commands (tests/test_tools_layout.py).
"""
