"""Configuration of the datasync add-on: AWS DataSync copies an S3 bucket into /OMERO on a schedule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from config import checks
from config.addons.base import Addon
from config.fields import Problem, key

# Directories OMERO.server keeps under /OMERO for itself: DataSync must never write (or, with
# preserve_deleted_files = "REMOVE", delete) there.
OMERO_INTERNALS = (
    "ManagedRepository",
    "Files",
    "Pixels",
    "Thumbnails",
    "FullText",
    "BioFormatsCache",
    ".omero",
    "lost+found",
)

_RATE = checks.Pattern(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = checks.Pattern(r"cron\(([^()]+)\)")
_MINUTE = checks.Pattern(r"(?:[0-9]|[1-5][0-9])")
# DataSync's Subdirectory pattern for S3 and EFS locations is ^[a-zA-Z0-9_\-\+\./\(\)\p{Zs}]*$,
# at most 4096 characters (DataSync API Reference, CreateLocationS3 and CreateLocationEfs): no
# "@", "=" or ",". Spaces and parentheses are allowed there, but kept out of the paths here so a
# path never needs quoting in the tasks and scripts that use it.
_PATH_SEGMENT = checks.Pattern(r"[A-Za-z0-9._+-]+")
# The include and exclude patterns are joined with "|" into one FilterRule value of at most
# 102,400 characters (DataSync API Reference, FilterRule).
FILTER_MAX = 102_400
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}


def schedule(value: str) -> str | None:
    """A DataSync schedule: rate(...) or a six-field cron(...), at most once an hour."""
    allowed = 'a schedule DataSync accepts, at most hourly: "rate(1 hour)", "rate(2 days)" or "cron(0 * * * ? *)"'
    rate = _RATE.fullmatch(value)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if count < 1 or (count == 1) != (not rate.group(2).endswith("s")):
            return allowed + ' (singular unit for 1, plural otherwise, e.g. "rate(1 hour)", "rate(6 hours)")'
        if count * _UNIT_MINUTES[unit] < 60:
            return allowed + " (DataSync runs a task at most once an hour)"
        return None
    cron = _CRON.fullmatch(value)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            return allowed + " (cron takes six fields: minutes hours day-of-month month day-of-week year)"
        if not _MINUTE.fullmatch(fields[0]):
            return allowed + " (a single minute 0-59 in cron's first field: DataSync runs a task at most once an hour)"
        if "?" not in (fields[2], fields[4]):
            return allowed + ' (cron needs "?" in day-of-month or day-of-week)'
        return None
    return allowed


def _directory(value: str, what: str) -> str | None:
    if not value.startswith("/"):
        return f'an absolute path within {what}, starting with "/"'
    segments = [s for s in value.split("/") if s]
    if "//" in value.rstrip("/") or any(s in (".", "..") for s in segments):
        return f'a plain path within {what}: no "//", "." or ".." segments'
    bad = next((s for s in segments if not _PATH_SEGMENT.fullmatch(s)), None)
    if bad is not None:
        return f"path segments of letters, digits and ._+- as DataSync allows ({bad!r} has other characters)"
    if len(value) > 1024:
        return "at most 1024 characters"
    return None


def source_prefix(value: str) -> str | None:
    return _directory(value, "the bucket")


def destination_path(value: str) -> str | None:
    problem = _directory(value, "/OMERO")
    if problem:
        return problem
    segments = [s for s in value.split("/") if s]
    if not segments:
        return 'a directory below /OMERO, not /OMERO itself (OMERO keeps its own data there), e.g. "/incoming"'
    if segments[0].lower() in {name.lower() for name in OMERO_INTERNALS}:
        return f'a directory outside OMERO\'s own ({", ".join(OMERO_INTERNALS)}), e.g. "/incoming"'
    return None


def filter_patterns(values: tuple[str, ...]) -> str | None:
    for value in values:
        if not value or "|" in value or len(value) > 1024:
            return f'{value!r}: DataSync filter patterns such as "*.tmp" or "/scratch" (no "|", at most 1024 characters)'
    if len(set(values)) != len(values):
        return "each pattern once"
    if len("|".join(values)) > FILTER_MAX:
        return f'patterns that joined with "|" make at most {FILTER_MAX} characters (one DataSync filter rule)'
    return None


@dataclass(frozen=True, kw_only=True)
class DataSync(Addon):
    """Copy files from an S3 bucket into /OMERO on a schedule (AWS DataSync)."""

    stack_role = "datasync"
    stack_class = "stacks.addons.datasync:DataSyncStack"

    enabled: bool = key(False, "Copy files from an S3 bucket into /OMERO on a schedule (AWS DataSync).")
    bucket_name: str | None = key(
        None,
        "Copy from this existing S3 bucket; unset: a new bucket named <name>-omero-datasync-... (encrypted, private, TLS only).",
        checks=[checks.bucket_name],
    )
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key that encrypts the new bucket (or that the existing bucket uses); unset: the AWS-managed aws/s3 key.",
        checks=[checks.kms_key_arn],
    )
    source_prefix: str = key(
        "/",
        'Folder (key prefix) in the bucket to copy from, e.g. "/microscope-1"; "/" copies the whole bucket.',
        checks=[source_prefix],
    )
    destination_path: str = key(
        "/incoming",
        "Directory under /OMERO where the files land (not OMERO's own directories such as /ManagedRepository).",
        checks=[destination_path],
    )
    schedule: str | None = key(
        "rate(1 hour)",
        "When the task runs: rate(...) or cron(...), at most hourly; null: only when started by hand.",
        checks=[schedule],
    )
    verify_mode: str = key(
        "ONLY_FILES_TRANSFERRED",
        "What DataSync checks after copying: the files it copied, every file, or nothing.",
        choices=("ONLY_FILES_TRANSFERRED", "POINT_IN_TIME_CONSISTENT", "NONE"),
    )
    overwrite_mode: str = key(
        "NEVER",
        "Replace files already in /OMERO that changed in the bucket (ALWAYS), or never touch them (files OMERO imported in place must not change).",
        choices=("NEVER", "ALWAYS"),
    )
    preserve_deleted_files: str = key(
        "PRESERVE",
        "Keep files in /OMERO whose object left the bucket (PRESERVE), or delete them there too (REMOVE).",
        choices=("PRESERVE", "REMOVE"),
    )
    excludes: tuple[str, ...] = key((), 'Patterns DataSync skips, e.g. ["*.tmp", "/scratch"].', checks=[filter_patterns])
    includes: tuple[str, ...] = key(
        (), 'Only copy what matches these patterns, e.g. ["/microscope-1/*"]; empty: everything.', checks=[filter_patterns]
    )
    bandwidth_limit_mibps: int | None = key(
        None,
        "Cap DataSync's bandwidth in MiB/s (1-10000), e.g. to spare EFS throughput; unset: no cap.",
        checks=[checks.between(1, 10000)],
    )
    log_level: str = key(
        "TRANSFER",
        "What the task logs: every file copied and checked (TRANSFER), errors only (BASIC), or nothing (OFF).",
        choices=("TRANSFER", "BASIC", "OFF"),
    )
    log_retention_days: int = key(90, "Days CloudWatch Logs keeps the task's log.", choices=checks.LOG_RETENTION_DAYS)
    noncurrent_version_days: int = key(
        30,
        "New bucket: days a replaced or deleted object version is kept before it expires (1-3650).",
        checks=[checks.between(1, 3650)],
    )
    expire_after_days: int | None = key(
        None,
        "New bucket: delete objects this many days after upload (1-3650), once copied; unset: keep them.",
        checks=[checks.between(1, 3650)],
    )

    @property
    def creates_bucket(self) -> bool:
        return self.bucket_name is None

    def enabled_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.creates_bucket:
            for name in ("noncurrent_version_days", "expire_after_days"):
                if name in given:
                    yield Problem(name, getattr(self, name), "only for the bucket this add-on creates (not with bucket_name)")
        if self.expire_after_days is not None and self.preserve_deleted_files == "REMOVE":
            yield Problem(
                "expire_after_days",
                self.expire_after_days,
                'unset with preserve_deleted_files = "REMOVE" (expiring an object would delete its copy in /OMERO)',
            )
