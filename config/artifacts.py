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

SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)
# A path below OMERO.server: relative, no "..", no spaces or "=" (the pin list's separators).
_TARGET = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", re.ASCII)


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

# --- omero-zarr-pixel-buffer (the zarr add-on) -------------------------------------------------
#
# Glencoe Software's pixel buffer lets OMERO.server read an image whose ExternalInfo points at an
# OME-Zarr (NGFF 0.4) on S3. It is installed by "adding the JAR file and all its dependencies
# (jzarr, caffeine, s3fs, aws-java-sdk-s3, tika-core) under the lib/server directory of
# OMERO.server" (glencoesoftware/omero-zarr-pixel-buffer v0.6.1, README.md, Installation). Its
# build.gradle at v0.6.1 declares exactly those: caffeine 3.1.8, jzarr 0.4.2, s3fs 2.2.3,
# aws-java-sdk-s3 1.12.659, tika-core 1.28.5; aws-java-sdk-s3 brings aws-java-sdk-core and
# aws-java-sdk-kms of its own version (its Maven POM), which OME's Ansible role installs too
# (dominikl/ansible-role-omero-zarr-pixel-buffer defaults/main.yml, commit 97f7220 "Add
# aws-java-sdk-core dep"; it has no tika-core and no kms).
#
# Every sha256 below is the one ZMB-UZH/omero-docker-extended ("OMERO Docker Extended") verifies
# the same file with, `sha256sum -c`, after downloading it from the same URL
# (docker/omero-server.Dockerfile, the version with OMERO_ZARR_PIXEL_BUFFER_SHA256, code index id
# 62478166433; its earlier versions, commits fec0091 and 0270ffc, fetched the files unchecked):
# OMERO_ZARR_PIXEL_BUFFER_SHA256, CAFFEINE_3_1_8_SHA256, AWS_JAVA_SDK_{S3,CORE,KMS}_1_12_659_SHA256,
# S3FS_2_2_3_SHA256, TIKA_CORE_1_28_5_SHA256, and JZARR_SHA256 of
# repo1.maven.org/maven2/dev/zarr/jzarr/0.4.2/jzarr-0.4.2.jar (its JZARR_VERSION=0.4.2: the artifact
# dev.zarr:jzarr:0.4.2 of the pixel buffer's build.gradle). caffeine-3.1.8.jar's digest is also
# Bazel rules_java's http_jar pin of the same Maven Central URL (code index id 57446338838).
# Maven Central and Glencoe's Artifactory were not reachable where these pins were written: the
# digests are checked again by ``pipenv run artifacts stage`` on download and by the server at
# every start, so a wrong pin stops the install, never a wrong file.
#
# Each file is installed as lib/server/<artifact>.jar, without its version, as OME's Ansible role
# does (tasks/main.yml, dest "{{ omero_zarr_pixel_buffer_folder }}/{{ item.name }}.jar"): a JAR
# OMERO.server ships under the same name (OMERO's lib/server names have no version, e.g. an older
# jzarr.jar for its OMEZarrReader) is replaced, not left beside the new one on Blitz's classpath.
ZARR_TARGET = "lib/server"
_MAVEN = "https://repo1.maven.org/maven2"
_GLENCOE = "https://artifacts.glencoesoftware.com/artifactory/gs-omero-snapshots-local"
_EXTENDED = "ZMB-UZH/omero-docker-extended docker/omero-server.Dockerfile (code index id 62478166433)"


def _jar(name: str, version: str, sha256: str, repository: str, group: str, variable: str) -> Artifact:
    return Artifact(
        name=f"{name}.jar",
        version=version,
        sha256=sha256,
        source=f"{_EXTENDED}, {variable}",
        target=ZARR_TARGET,
        url=f"{repository}/{group}/{name}/{version}/{name}-{version}.jar",
    )


ZARR_PIXEL_BUFFER: tuple[Artifact, ...] = (
    _jar(
        "omero-zarr-pixel-buffer",
        "0.6.1",
        "9cb3d1ed491ef866bc1703415b809097693fda13eb4818dc0eb6959f8fe94f97",
        _GLENCOE,
        "com/glencoesoftware/omero",
        "OMERO_ZARR_PIXEL_BUFFER_SHA256",
    ),
    _jar(
        "caffeine",
        "3.1.8",
        "7dd15f9df1be238ffaa367ce6f556737a88031de4294dad18eef57c474ddf1d3",
        _MAVEN,
        "com/github/ben-manes/caffeine",
        "CAFFEINE_3_1_8_SHA256",
    ),
    _jar(
        "jzarr", "0.4.2", "43f265b26dc8de384802853a2df34e18f0d836eae8bf4538f6c61c479b366cd8", _MAVEN, "dev/zarr", "JZARR_SHA256"
    ),
    _jar(
        "s3fs",
        "2.2.3",
        "a22e94403de3dcf6e08fe233718d9364b578cf91555eb0dd6edc628443f44602",
        _MAVEN,
        "org/lasersonlab",
        "S3FS_2_2_3_SHA256",
    ),
    _jar(
        "aws-java-sdk-s3",
        "1.12.659",
        "44ed3a329a14c486a3f1c3b46eb47d26db4d93426a630790d2eefe542983dfa9",
        _MAVEN,
        "com/amazonaws",
        "AWS_JAVA_SDK_S3_1_12_659_SHA256",
    ),
    _jar(
        "aws-java-sdk-core",
        "1.12.659",
        "f7713aa96c49f3e9f8c2a67b2d9b2d431d746fbfa9a73083be67f914043d23eb",
        _MAVEN,
        "com/amazonaws",
        "AWS_JAVA_SDK_CORE_1_12_659_SHA256",
    ),
    _jar(
        "aws-java-sdk-kms",
        "1.12.659",
        "828c441cb154326f9dec238c498eeb346ea2a19f60e36f5910cccc7570b9bd10",
        _MAVEN,
        "com/amazonaws",
        "AWS_JAVA_SDK_KMS_1_12_659_SHA256",
    ),
    _jar(
        "tika-core",
        "1.28.5",
        "e64b3dc06c60b98ecbdfb9dbc3857f4ab54f9548eedd449ee0de39c0df5e3170",
        _MAVEN,
        "org/apache/tika",
        "TIKA_CORE_1_28_5_SHA256",
    ),
)


def staged_file(artifact: Artifact) -> str:
    """The upstream file name of an artifact fetched from a URL (its version in it), e.g.
    "jzarr-0.4.2.jar"."""
    assert artifact.url is not None  # only artifacts with a download URL are staged
    return artifact.url.rsplit("/", 1)[1]


def staged_key(artifact: Artifact) -> str:
    """Where ``pipenv run artifacts stage`` puts the file in the deployment's artifacts bucket:
    addressed by its content, ``<sha256>/<upstream file name>``, so a key names one exact file."""
    return f"{artifact.sha256}/{staged_file(artifact)}"


ALL: tuple[Artifact, ...] = FIGURE_EXPORT + ZARR_PIXEL_BUFFER
# Fetched from the deployment's artifacts bucket by an init container (the zarr add-on's stager).
STAGED: tuple[Artifact, ...] = ZARR_PIXEL_BUFFER


def staged_artifacts(deployment: Deployment) -> tuple[Artifact, ...]:
    """What the deployment's servers fetch from its artifacts bucket: what
    ``pipenv run artifacts stage`` must have put there first."""
    return ZARR_PIXEL_BUFFER if deployment.zarr.enabled else ()


def server_artifacts(deployment: Deployment) -> tuple[Artifact, ...]:
    """What the deployment's OMERO.servers install at start."""
    return (FIGURE_EXPORT if deployment.server.figure_export else ()) + staged_artifacts(deployment)
