"""Files the deployment installs into OMERO.server at every task start, each pinned by version and
sha256 and verified before the server runs (see ``modules/server_extras.py`` and the install step
in ``modules/server_start.py``).

A pin is data a reviewer can check: the task definition lists ``<target>/<name>=<sha256>`` for each
file (environment variable ``OMERO_SERVER_EXTRAS``), and the sha256 here names where it came from.
Several artifacts with one ``target``/``name`` are alternatives: the server accepts a file whose
sha256 is any one of theirs (each a published release's exact bytes), and refuses any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.schema import Deployment

SHA256 = re.compile(r"[0-9a-f]{64}")
# A path below OMERO.server: relative, no "..", no spaces or "=" (the pin list's separators).
_TARGET = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One file installed into OMERO.server."""

    name: str  # the file's name as installed, e.g. "Figure_To_Pdf.py"
    version: str  # the upstream release it is part of, e.g. "8.0.0"
    sha256: str  # of the file itself, 64 lowercase hex digits
    source: str  # where the sha256 came from (release file and its own published digest)
    target: str  # directory under OMERO.server it goes into, e.g. "lib/server"
    url: str | None = None  # where it is fetched from upstream, if it is (None: copied out of an image we run)

    @property
    def path(self) -> str:
        """Its path below OMERO.server, which is also its path below the staging directory."""
        return f"{self.target}/{self.name}"

    def problems(self) -> list[str]:
        """What is wrong with this pin (empty when it is well formed)."""
        problems = []
        if not SHA256.fullmatch(self.sha256):
            problems.append(f"{self.name}: sha256 {self.sha256!r} is not 64 lowercase hex digits")
        if not self.version.strip():
            problems.append(f"{self.name}: no version")
        if not self.source.strip():
            problems.append(f"{self.name}: no source for its sha256")
        if not _TARGET.fullmatch(self.path) or ".." in self.path.split("/"):
            problems.append(f"{self.name}: {self.path!r} is not a plain path below OMERO.server")
        if self.url is not None and not self.url.startswith("https://"):
            problems.append(f"{self.name}: url {self.url!r} is not https")
        return problems


def pins(artifacts: Iterable[Artifact]) -> str:
    """The pin list the server's start step checks: ``<path>=<sha256>[,<sha256>...]`` per path,
    space-separated and sorted, alternatives of one path joined by commas."""
    by_path: dict[str, list[str]] = {}
    for artifact in artifacts:
        digests = by_path.setdefault(artifact.path, [])
        if artifact.sha256 not in digests:
            digests.append(artifact.sha256)
    return " ".join(f"{path}={','.join(digests)}" for path, digests in sorted(by_path.items()))


# --- OMERO.figure export ----------------------------------------------------------------------
#
# OMERO.figure's PDF/TIFF export is an OMERO script the server runs, Figure_To_Pdf.py; the web app
# looks it up as /omero/figure_scripts/Figure_To_Pdf.py (ome/omero-figure omero_figure/views.py,
# SCRIPT_PATH) and offers an upload button when the script's FIGURE_VERSION is not its own. A file
# under OMERO.server/lib/scripts is an official script the server lists itself: omero-figure's
# README, "Option 3", copies it to lib/scripts/omero/figure_scripts before the server starts.
#
# The file is copied out of the OMERO.web image the web service runs (omero-web-standalone
# installs omero-figure unpinned at build time: ome/omero-web-docker standalone/Dockerfile,
# "pip install omero-figure ..."), so the script is always the one of the web app's own version.
# openmicroscopy/omero-web-standalone:5.33.0-1 was built after omero-web 5.33.0 (PyPI,
# 2026-08-03); the omero-figure releases pip could have chosen then are 8.0.0 (2026-04-16) and
# 8.0.1 (2026-09-08): both are pinned, and no other file is accepted. The sha256 of each is that
# of the file in the release's wheel (downloaded from PyPI and checked against PyPI's published
# wheel sha256; the wheel's RECORD lists the same digest in base64).
FIGURE_SCRIPT_TARGET = "lib/scripts/omero/figure_scripts"
FIGURE_EXPORT: tuple[Artifact, ...] = (
    Artifact(
        name="Figure_To_Pdf.py",
        version="omero-figure 8.0.0",
        sha256="d9e7c5238235709e0fd898ee02c9c31477a6fdaeb279b4609495d0aeda419de6",
        source="omero_figure-8.0.0-py3-none-any.whl (PyPI sha256 "
        "d1cb4dce621fed190b639b785be4cd6b789e1cd968dffd10bd61526369e8e6b8), "
        "omero_figure/scripts/omero/figure_scripts/Figure_To_Pdf.py",
        target=FIGURE_SCRIPT_TARGET,
    ),
    Artifact(
        name="Figure_To_Pdf.py",
        version="omero-figure 8.0.1",
        sha256="eb7e3a1d5fc44a10eed84677c499c69d78bec973a7969f336405d9806e961578",
        source="omero_figure-8.0.1-py3-none-any.whl (PyPI sha256 "
        "b6d66e653486c858c6d414d3c1c29da80a58fc45aecdc509438cd746d35042a0), "
        "omero_figure/scripts/omero/figure_scripts/Figure_To_Pdf.py",
        target=FIGURE_SCRIPT_TARGET,
    ),
)
# What the script imports beyond omero-py (which brings numpy and Pillow) is reportlab and
# markdown; the server image installs both into OMERO's virtualenv (ome/omero-server-docker
# playbook.yml, omero_server_python_addons: reportlab, markdown; since commit 3d3be0d, 2022-09-01,
# "install figure export dependencies by default"), so nothing more is staged for it. zarr and
# dask are imported only to render OME-Zarr images given by URL in a figure, which stays off.

ALL: tuple[Artifact, ...] = FIGURE_EXPORT


def server_artifacts(deployment: Deployment) -> tuple[Artifact, ...]:
    """What the deployment's OMERO.servers install at start."""
    return FIGURE_EXPORT if deployment.server.figure_export else ()
