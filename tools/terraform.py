"""Run the terraform CLI offline: the AWS provider comes from a local filesystem mirror.

The mirror is the directory holding ``registry.terraform.io/hashicorp/aws/<version>``; it is
taken from ``$OMERO_TF_PROVIDER_MIRROR``, else searched for in the usual places. The CLI
configuration written here forbids direct registry access, so no test can reach the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROVIDER_VERSION = "5.100.0"
MIRROR_ENV = "OMERO_TF_PROVIDER_MIRROR"
_PROVIDER_PATH = Path("registry.terraform.io/hashicorp/aws") / PROVIDER_VERSION
_SEARCH = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


def find_mirror() -> Path | None:
    """The filesystem mirror holding hashicorp/aws PROVIDER_VERSION, or None."""
    candidates = [os.environ.get(MIRROR_ENV, "")] + list(_SEARCH)
    for candidate in candidates:
        if candidate and (Path(candidate).expanduser() / _PROVIDER_PATH).is_dir():
            return Path(candidate).expanduser().resolve()
    return None


def why_unavailable() -> str | None:
    """None when terraform and the provider mirror are both here, else the reason to skip."""
    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    if find_mirror() is None:
        return (
            f"no filesystem mirror holding {_PROVIDER_PATH} (set {MIRROR_ENV} to the directory "
            "that contains registry.terraform.io)"
        )
    return None


def write_cli_config(directory: Path) -> Path:
    """A terraform CLI config that installs providers only from the mirror."""
    mirror = find_mirror()
    assert mirror is not None, why_unavailable()
    path = directory / "terraform.rc"
    path.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n'
        "}\n"
    )
    return path


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"terraform {' '.join(self.args)} exited {self.returncode}\n{self.stdout[-4000:]}\n{self.stderr[-4000:]}"


class Terraform:
    """Runs terraform in one stack directory with a fixed, offline environment."""

    def __init__(self, cli_config: Path, env: dict[str, str] | None = None):
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "AWS_EC2_METADATA_DISABLED": "true",
            # Terraform hands its environment to the provider. Each start of the AWS provider
            # builds its schema, mostly garbage-collector work: a lazier collector cuts the CPU of
            # a plan or an apply by about a quarter (measured on the quick start) for a little
            # more memory, and the tests run several at once on two cores.
            "GOGC": "400",
            **(env or {}),
        }

    def with_env(self, **env: str) -> Terraform:
        """A runner with the same CLI config and these variables added or replaced."""
        runner = Terraform.__new__(Terraform)
        runner.env = {**self.env, **env}
        return runner

    def __call__(self, stack_dir: Path, *args: str, timeout: float = 600) -> Result:
        completed = subprocess.run(
            ["terraform", *args],
            cwd=stack_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(tuple(args), completed.returncode, completed.stdout, completed.stderr)


class Bounded:
    """A terraform runner whose commands that overrun their time bound fail (exit status 124, as
    timeout(1)) instead of raising."""

    def __init__(self, tf: Terraform):
        self.tf = tf

    def __call__(self, directory: Path, *args: str, timeout: float) -> Result:
        try:
            return self.tf(directory, *args, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Result(tuple(args), 124, "", f"Error: terraform {args[0]} did not finish within {timeout:.0f} s")
