"""One stack per add-on, each deployed after the core stacks it reads (see stacks/app.py)."""
