"""Commands for working on this project: run as `pipenv run python -m tools.<name>`."""
