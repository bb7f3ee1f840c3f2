"""Verified extra files in OMERO.server: how they reach the server's task and how they get in.

Each file is pinned in ``config/artifacts.py`` (version, sha256, where the sha256 came from). At
task start, *stagers* (ECS init containers: ``essential`` false, run to completion before the
server starts, the server's ``dependsOn`` condition ``SUCCESS``) write the files into a volume of
the task (an ECS bind mount without a host path: task-scoped ephemeral storage on Fargate, a
Docker-managed directory on EC2, gone with the task; Amazon ECS Developer Guide, "Bind mounts").
The server container mounts that volume read-only at ``STAGED_DIR`` and, before any of the image's
start steps, its start script (``server_start.install_extras``) copies each pinned file into
OMERO.server, checks the copy's sha256 against the pins the task definition lists in
``PINS_VARIABLE``, and refuses to start on a missing file or any other digest.

Why install at start and not in a derived image: the deployment builds no images, and the pins
are then visible in the plan as data (an environment variable), not hidden in an image layer.
Why copying into OMERO.server works: the image's OMERO.server tree is the server user's own
(ome/ansible-role-omero-server tasks/omero-install.yml runs ``omego install`` as
``omero_server_system_user`` in a base directory that user owns, tasks/omero-user.yml), so the
server, running as that user, writes ``lib/scripts`` and ``lib/server`` on its own root
filesystem, on every start of a fresh container.

Stagers run as root because a bind mount's directory is root's ("By default, the volume
permissions are set to 0755 and the owner as root", Amazon ECS Developer Guide, "Use bind mounts
with Amazon ECS", considerations) and the images' own users are not; they keep no Linux
capability, a read-only root filesystem, no secrets and no port, and the server reads what they
wrote (0644, in 0755 directories) as its own user.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinitionVolume

from config.artifacts import FIGURE_SCRIPT_TARGET

STAGING_VOLUME = "omero-server-extras"
STAGING_DIR = "/staged"  # where the stagers write (their mount of the volume)
STAGED_DIR = "/opt/omero/server/staged"  # where the server reads (its read-only mount of it)
PINS_VARIABLE = "OMERO_SERVER_EXTRAS"  # "<path>=<sha256>[,<sha256>...] ...", see config.artifacts.pins

# Where omero-web-standalone keeps OMERO.web's virtualenv (ome/omero-web-docker
# standalone/Dockerfile: /opt/omero/web/venv3/bin/pip install omero-figure ...), and the script in
# it; the Python version in its path changes with the image, hence the pattern (one file only).
WEB_VENV = "/opt/omero/web/venv3"
FIGURE_SCRIPT_IN_VENV = "lib/python3*/site-packages/omero_figure/scripts/omero/figure_scripts/Figure_To_Pdf.py"


@dataclass(frozen=True, kw_only=True)
class Stager:
    """An init container that writes files below ``STAGING_DIR`` (mirroring their place under
    OMERO.server), then exits 0; anything else stops the task before the server starts."""

    name: str  # its container name, unique in the task
    image: str  # as the task pulls it
    script: str  # run by /bin/sh -c


@dataclass(frozen=True, kw_only=True)
class ServerExtras:
    """What a server task installs: the pins its start step checks, and the stagers that supply
    the files (one stager may supply several; several stagers may share the volume)."""

    pins: str  # config.artifacts.pins(...) of the deployment's artifacts
    stagers: tuple[Stager, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.pins.strip():
            raise ValueError("server extras without pins: nothing would be verified")
        names = [s.name for s in self.stagers]
        if len(set(names)) != len(names):
            raise ValueError(f"stager names must be unique in the task: {names}")


def figure_stager(web_image: str, *, web_venv: str = WEB_VENV, staging_dir: str = STAGING_DIR) -> Stager:
    """Copies Figure_To_Pdf.py out of the OMERO.web image the web service runs, so the script is
    the one of the web app's own omero-figure release; the server checks it against the pins."""
    target = f"{staging_dir}/{FIGURE_SCRIPT_TARGET}"
    script = (
        f"set -- {shlex.quote(web_venv)}/{FIGURE_SCRIPT_IN_VENV}; "
        'if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then '
        'echo "Figure_To_Pdf.py not found in this OMERO.web image (no omero-figure in its virtualenv?): '
        'set server.figure_export = false for a web image without OMERO.figure" >&2; exit 1; fi; '
        f'mkdir -p {shlex.quote(target)} && cp "$1" {shlex.quote(target + "/Figure_To_Pdf.py")} && '
        'echo "staged $1 for OMERO.server"'
    )
    return Stager(name="stage-figure-script", image=web_image, script=script)


def stager_container(stager: Stager, log_configuration: object) -> dict[str, object]:
    """The init container of ``stager`` (ECS API Reference, ContainerDefinition: ``essential``
    false is required by a ``SUCCESS`` dependency on it; ``user`` "0" to write the root-owned
    volume; capabilities dropped, ``readonlyRootFilesystem``: it writes the volume alone), logging
    as ``log_configuration`` says (the server container's, so its lines sit beside the server's)."""
    return {
        "name": stager.name,
        "image": stager.image,
        "essential": False,
        "user": "0",
        "entryPoint": ["/bin/sh", "-c"],
        "command": [stager.script],
        "readonlyRootFilesystem": True,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
        "mountPoints": [{"sourceVolume": STAGING_VOLUME, "containerPath": STAGING_DIR, "readOnly": False}],
        "logConfiguration": log_configuration,
    }


def server_container_parts(extras: ServerExtras) -> dict[str, list[dict[str, object]]]:
    """What the server container adds: the read-only mount, the pins, and its wait for every
    stager's success (ECS ContainerDependency condition SUCCESS: exited with status 0)."""
    return {
        "mountPoints": [{"sourceVolume": STAGING_VOLUME, "containerPath": STAGED_DIR, "readOnly": True}],
        "environment": [{"name": PINS_VARIABLE, "value": extras.pins}],
        "dependsOn": [{"containerName": s.name, "condition": "SUCCESS"} for s in extras.stagers],
    }


def staging_volume() -> EcsTaskDefinitionVolume:
    """The task volume the stagers fill: a bind mount without a host path (task-scoped)."""
    return EcsTaskDefinitionVolume(name=STAGING_VOLUME)
