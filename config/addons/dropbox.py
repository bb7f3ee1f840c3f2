"""Configuration of the dropbox add-on: automated import into OMERO.

Two ways, each with its own switch:

* a scheduled in-place import (on by default): an ECS task runs ``omero import --transfer=ln_s``
  over a landing folder on a schedule. Files stay where they landed (the repository links to
  them), and OMERO itself skips what it already imported from the same path.
* OMERO.dropbox (``watch``, off by default): the read-write OMERO.server watches a folder and
  imports what appears in it. OMERO supports this on local file systems only: inotify does not
  see files that another NFS client (DataSync, the uploader host) writes to EFS.
"""

from __future__ import annotations

import posixpath
import shlex
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.addons.base import Addon
from config.fields import Problem, key

if TYPE_CHECKING:
    from config.schema import Deployment

DATA_DIR = "/OMERO"
# OMERO's own directories under /OMERO: nothing may land or be watched inside them.
OMERO_OWN_DIRS = ("ManagedRepository", "Files", "Pixels", "Thumbnails", "FullText", "BioFormatsCache")
# Top-level directories of the server image: an NFS share is never mounted over them.
SYSTEM_DIRS = (
    "bin",
    "boot",
    "dev",
    "etc",
    "home",
    "lib",
    "lib64",
    "opt",
    "proc",
    "root",
    "run",
    "sbin",
    "srv",
    "sys",
    "tmp",
    "usr",
    "var",
)
# Arguments the import task sets itself (connection, credentials, transfer, duplicate check).
MANAGED_IMPORT_ARGS = (
    "-s",
    "--server",
    "-p",
    "--port",
    "-u",
    "--user",
    "-w",
    "--password",
    "-k",
    "--key",
    "-g",
    "--group",
    "--sudo",
    "--transfer",
    "--exclude",
)

_USER = checks.Pattern(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_RATE = checks.Pattern(r"rate\((?P<value>[1-9]\d*) (?P<unit>minute|minutes|hour|hours|day|days)\)")
_CRON = checks.Pattern(r"cron\((?P<fields>[^()]+)\)")
_CRON_FIELD = checks.Pattern(r"[0-9A-Za-z*?/,#L W-]+")
_PATH_PART = checks.Pattern(r"[A-Za-z0-9._@+-]+")


def directory(value: str) -> str | None:
    """An absolute, normalised path with plain names (no "..", no doubled or trailing "/")."""
    parts = value.split("/")[1:]
    if (
        not value.startswith("/")
        or value == "/"
        or posixpath.normpath(value) != value
        or any(p in ("", ".", "..") or not _PATH_PART.fullmatch(p) for p in parts)
    ):
        return 'an absolute path of plain names (letters, digits, ._@+-), no ".." and no trailing "/", e.g. "/OMERO/landing"'
    if parts[0] == DATA_DIR.lstrip("/"):
        if len(parts) == 1:
            return f"a folder under {DATA_DIR}, not {DATA_DIR} itself"
        if parts[1] in OMERO_OWN_DIRS:
            return f"a folder outside OMERO's own directories ({', '.join(OMERO_OWN_DIRS)})"
    elif parts[0] in SYSTEM_DIRS:
        return f"a folder under {DATA_DIR} (or under the S3 File Gateway share), not a system directory"
    return None


def omero_name(value: str) -> str | None:
    if _USER.fullmatch(value):
        return None
    return "an OMERO user or group name: 1-64 letters, digits and ._@-, starting with a letter or digit"


def omero_names(values: tuple[str, ...]) -> str | None:
    for value in values:
        if omero_name(value):
            return f"{value!r}: {omero_name(value)}"
    if len(set(values)) != len(values):
        return "each user once"
    return None


def schedule_expression(value: str) -> str | None:
    """An EventBridge Scheduler recurring expression: rate(...) or cron(...) with six fields."""
    allowed = 'a schedule such as "rate(1 hour)", "rate(30 minutes)" or "cron(0 2 * * ? *)" (six cron fields)'
    rate = _RATE.fullmatch(value)
    if rate:
        singular = rate["value"] == "1"
        if singular != (not rate["unit"].endswith("s")):
            return allowed + f' ("rate(1 {rate["unit"].rstrip("s")})" singular, plural above 1)'
        if rate["unit"].startswith("minute") and int(rate["value"]) < 5:
            return allowed + " (at least 5 minutes apart: an import needs time to start)"
        return None
    cron = _CRON.fullmatch(value)
    if cron:
        fields = cron["fields"].split(" ")
        if len(fields) == 6 and all(f and _CRON_FIELD.fullmatch(f) for f in fields) and "?" in (fields[2], fields[4]):
            return None
    return allowed


def timezone(value: str) -> str | None:
    if value in zoneinfo.available_timezones():
        return None
    return 'an IANA time zone name such as "UTC" or "Europe/Berlin"'


def import_arguments(values: tuple[str, ...]) -> str | None:
    for value in values:
        if not value or "\n" in value or ";" in value or "%{" in value:
            return f'{value!r}: non-empty arguments without newlines, "%{{" or ";" (OMERO.dropbox separates users\' arguments with it)'
        for managed in MANAGED_IMPORT_ARGS:
            long_form = managed.startswith("--")
            if (
                value == managed
                or (long_form and value.startswith(managed + "="))
                or (not long_form and value.startswith(managed) and not value.startswith("--"))
            ):
                return f"{value!r}: arguments other than {', '.join(MANAGED_IMPORT_ARGS)} (set by this add-on)"
    return None


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


@dataclass(frozen=True, kw_only=True)
class DropBox(Addon):
    """Automated import: OMERO DropBox settings and a scheduled in-place import."""

    stack_role = "dropbox"
    stack_class = "stacks.addons.dropbox:DropBoxStack"

    enabled: bool = key(False, "Automated import: OMERO DropBox settings and a scheduled in-place import.")
    # The scheduled in-place import.
    scheduled_import: bool = key(
        True, "Run omero import over landing_dir on a schedule (an ECS task; files stay where they landed)."
    )
    landing_dir: str = key(
        "/OMERO/landing",
        "Folder the scheduled import reads: under /OMERO, or under the S3 File Gateway share's mount path.",
        checks=[directory],
    )
    schedule: str = key(
        "rate(1 hour)",
        'How often the import runs: "rate(...)" or "cron(...)" (EventBridge Scheduler).',
        checks=[schedule_expression],
    )
    schedule_timezone: str = key("UTC", 'Time zone of cron schedules, e.g. "Europe/Berlin".', checks=[timezone])
    import_user: str = key(
        "root", "OMERO user who owns the imported data (root logs in and imports on their behalf).", checks=[omero_name]
    )
    import_group: str | None = key(
        None, "OMERO group the data goes to; unset: the import user's default group.", checks=[omero_name]
    )
    transfer: str = key(
        "ln_s",
        "How files reach the repository: ln_s links in place (files must stay), cp copies, upload copies through the server.",
        choices=("ln_s", "cp", "upload"),
    )
    import_args: tuple[str, ...] = key(
        (),
        'Extra omero import arguments for every import, e.g. ["-T", "regex:^.*/(?<Container1>.*?)"] (connection and transfer are managed).',
        checks=[import_arguments],
    )
    settle_minutes: int = key(
        15,
        "Import a top-level entry of landing_dir only once nothing in it changed for this many minutes (0: at once).",
        checks=[checks.between(0, 1440)],
    )
    cpu: int = key(1024, "CPU units of the import task (1024 = 1 vCPU).", checks=[checks.task_cpu])
    memory: int = key(
        4096, "Memory of the import task in MiB (the importer is a Java process).", checks=[checks.between(2048, 30720)]
    )
    log_retention_days: int = key(365, "Days CloudWatch Logs keeps the import task's output.", choices=checks.LOG_RETENTION_DAYS)
    # OMERO.dropbox on the read-write server.
    watch: bool = key(
        False, "Turn on OMERO.dropbox on the read-write server (unsupported by OMERO on network file systems such as EFS)."
    )
    watch_dir: str = key(
        "/OMERO/DropBox",
        "Folder OMERO.dropbox watches; files in <watch_dir>/<user> are imported for that user.",
        checks=[directory],
    )
    watch_users: tuple[str, ...] = key(
        (), "OMERO users whose <watch_dir>/<user> folder the server creates before it starts.", checks=[omero_names]
    )
    watch_wait_seconds: int = key(
        60, "Seconds OMERO.dropbox waits after the last change in a folder before importing it.", checks=[checks.between(1, 3600)]
    )

    def enabled_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.scheduled_import and not self.watch:
            yield Problem(
                "scheduled_import", self.scheduled_import, "true, or watch = true (with both off the add-on does nothing)"
            )
        schedule_keys = {
            "landing_dir",
            "schedule",
            "schedule_timezone",
            "import_user",
            "import_group",
            "settle_minutes",
            "cpu",
            "memory",
            "log_retention_days",
        }
        if not self.scheduled_import:
            for name in sorted(given & schedule_keys):
                yield Problem(name, getattr(self, name), "only with scheduled_import = true")
        if not self.watch:
            for name in sorted(given & {"watch_dir", "watch_users", "watch_wait_seconds"}):
                yield Problem(name, getattr(self, name), "only with watch = true")
        if "schedule_timezone" in given and not self.schedule.startswith("cron("):
            yield Problem(
                "schedule_timezone",
                self.schedule_timezone,
                "only with a cron(...) schedule (rates do not depend on the time zone)",
            )
        if self.import_group is not None and self.import_user == "root":
            yield Problem(
                "import_group", self.import_group, "only with an import_user other than root (root imports into its own group)"
            )
        if (
            self.scheduled_import
            and self.watch
            and (_under(self.landing_dir, self.watch_dir) or _under(self.watch_dir, self.landing_dir))
        ):
            yield Problem(
                "landing_dir", self.landing_dir, f"a folder apart from watch_dir ({self.watch_dir}): one file imported twice"
            )
        if self.scheduled_import:
            problem = checks.fargate_memory(self.cpu, self.memory)
            if problem:
                yield Problem("memory", self.memory, problem)

    def deployment_checks(self, deployment: Deployment) -> Iterator[Problem]:
        if not self.enabled:
            return
        gateway = deployment.file_gateway
        roots = [DATA_DIR] + ([gateway.container_path] if gateway.enabled and gateway.container_path != DATA_DIR else [])
        if self.scheduled_import and not any(_under(self.landing_dir, root) for root in roots):
            share = (
                f" or under the S3 File Gateway share at {roots[1]}"
                if len(roots) > 1
                else " (or under the S3 File Gateway share's mount path, with file_gateway enabled)"
            )
            yield Problem(
                "dropbox.landing_dir",
                self.landing_dir,
                f"a folder under {DATA_DIR}{share}: what the read-write OMERO.server mounts",
            )
        if self.watch and not _under(self.watch_dir, DATA_DIR):
            yield Problem("dropbox.watch_dir", self.watch_dir, f"a folder under {DATA_DIR} (the read-write server's volume)")

    @property
    def watching(self) -> bool:
        return self.enabled and self.watch

    @property
    def importing(self) -> bool:
        return self.enabled and self.scheduled_import

    def import_arguments(self) -> tuple[str, ...]:
        """Arguments every import gets: the transfer and the extra ones."""
        return (f"--transfer={self.transfer}", *self.import_args)

    def server_properties(self) -> dict[str, str]:
        """OMERO properties the read-write OMERO.server gets from this add-on (none when off)."""
        if not self.watching:
            return {}
        return {
            "omero.fs.watchDir": self.watch_dir,
            "omero.fs.importArgs": " ".join(shlex.quote(a) for a in self.import_arguments()),
            "omero.fs.dirImportWait": str(self.watch_wait_seconds),
        }

    def watch_directories(self) -> tuple[str, ...]:
        """Directories under /OMERO the read-write server creates before it starts."""
        if not self.watching:
            return ()
        return (self.watch_dir, *(f"{self.watch_dir}/{user}" for user in self.watch_users))
