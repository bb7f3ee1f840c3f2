"""Configuration of the appstream add-on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from config import checks
from config.addons.base import Addon
from config.fields import Problem, key

# stream.<family>.<size> or stream.<family>.<generation>.<size>, e.g. stream.graphics.g4dn.xlarge.
_STREAM_INSTANCE = checks.Pattern(r"stream\.[a-z]+(?:\.[a-z0-9]+)?\.[a-z0-9]+")
# What AppStream accepts as an image name.
_IMAGE_NAME = checks.Pattern(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}")


def stream_instance_type(value: str) -> str | None:
    if _STREAM_INSTANCE.fullmatch(value):
        return None
    return 'an AppStream instance type such as "stream.standard.medium" or "stream.compute.large"'


def image_name(value: str) -> str | None:
    if _IMAGE_NAME.fullmatch(value):
        return None
    return "an AppStream image name: 1-101 letters, digits, _ . -, starting with a letter or digit"


@dataclass(frozen=True, kw_only=True)
class AppStream(Addon):
    """Stream OMERO.insight to browsers from an AppStream 2.0 fleet."""

    stack_role = "appstream"
    stack_class = "stacks.addons.appstream:AppStreamStack"

    enabled: bool = key(False, "Stream OMERO.insight to browsers from an AppStream 2.0 fleet.")
    image_name: str | None = key(
        None,
        "AppStream image with OMERO.insight installed, built once in an Image Builder (required when enabled).",
        checks=[image_name],
    )
    instance_type: str = key(
        "stream.standard.medium",
        "Streaming instance type (2 vCPU, 4 GiB for stream.standard.medium).",
        checks=[stream_instance_type],
    )
    fleet_type: str = key(
        "ON_DEMAND",
        "ON_DEMAND starts an instance per session (1-2 min wait, cheaper); ALWAYS_ON keeps them running.",
        choices=("ON_DEMAND", "ALWAYS_ON"),
    )
    desired_instances: int = key(
        1, "Instances in the fleet: how many users can stream at once (1-50).", checks=[checks.between(1, 50)]
    )
    # AppStream 2.0 API Reference, CreateFleet: MaxUserDurationInSeconds 600-432000 and
    # DisconnectTimeoutInSeconds 60-36000, i.e. 10-7200 and 1-600 minutes.
    max_session_minutes: int = key(
        480,
        "Longest streaming session in minutes (10-7200); the session then ends.",
        checks=[checks.between(10, 7200)],
    )
    disconnect_timeout_minutes: int = key(
        30,
        "Minutes a disconnected session (and an import running in it) is kept for the user to reconnect (1-600).",
        checks=[checks.between(1, 600)],
    )
    # CreateFleet's IdleDisconnectTimeoutInSeconds: "specify a value of 0. Otherwise, specify a
    # value between 60 and 3600" (AppStream 2.0 API Reference, CreateFleet), so 0 or 1-60 minutes.
    idle_disconnect_timeout_minutes: int = key(
        30,
        "Minutes without keyboard or mouse input before the user is disconnected (0 never, 1-60).",
        checks=[checks.between(0, 60)],
    )
    clipboard_to_session: bool = key(True, "Let users paste from their computer into the session (server address, text).")
    clipboard_to_local: bool = key(False, "Let users copy from the session to their computer (loosens data egress).")
    file_upload: bool = key(True, "Let users upload files from their computer into the session (to import them).")
    file_download: bool = key(False, "Let users download files from the session to their computer (loosens data egress).")
    printing: bool = key(False, "Let users print from the session to a local printer (loosens data egress).")
    home_folders: bool = key(True, "Persistent per-user home folders in S3 (files to import survive the session).")
    persist_application_settings: bool = key(
        True,
        "Keep each user's OMERO.insight settings (server list, preferences) between sessions.",
    )
    users: tuple[str, ...] = key(
        (),
        "E-mail addresses of AppStream user-pool users to create and assign to the stack (each gets a sign-in e-mail).",
        checks=[checks.email_addresses],
    )

    def enabled_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.image_name is None:
            yield Problem(
                "image_name",
                None,
                "",
                text="missing; required with enabled = true (the image with OMERO.insight built in an Image Builder)",
            )
        if self.idle_disconnect_timeout_minutes >= self.max_session_minutes:
            yield Problem(
                "idle_disconnect_timeout_minutes",
                self.idle_disconnect_timeout_minutes,
                f"less than max_session_minutes ({self.max_session_minutes}), or 0",
            )
