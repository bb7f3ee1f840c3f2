"""Configuration of the read-only OMERO.web pool (``web.read_only_pool``).

``omero.web.server_list`` is the login page's list of servers to choose from, the first chosen
unless the user picks another ("A list of servers the Web client can connect to", omero-web
``settings.py``); OMERO.web spreads nothing over it, and on a read-only server it hides only a
few create buttons (``can_create``, from omero-py's ``BlitzGateway.canCreate`` at login, in a
handful of templates): most of its editing UI stays, and those saves fail. So the read-only
OMERO.servers get their own OMERO.web: a second ECS service on its own host name whose
list names only them, optionally browsable without logging in as OMERO.web's public user, the way
OME's public-data guide runs "a dedicated, separate web server for servicing the public
workflows" (ome/omero-documentation ``sysadmins/public.rst``) and the IDR serves its viewers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.fields import Block, Problem, key
from config.secrets import secret_reference

if TYPE_CHECKING:
    from config.schema import Deployment

# What visitors may open without logging in: OME's filter for public browsing of the full
# webclient without the dialogs that run scripts or export OME-TIFF and without downloads
# (ome/omero-documentation sysadmins/public.rst, "You can use the full webclient UI for public
# browsing of images"), plus OMERO.iviewer, the viewer the standalone image opens images in
# (omero.web.viewer.view, ome/omero-web-docker standalone/01-default-webapps.omero), whose URLs
# start with its app label "iviewer" (ome/omero-iviewer plugin/omero_iviewer/apps.py).
PUBLIC_URL_FILTER = (
    r"^/(webadmin/myphoto/|webclient/(?!(script_ui|ome_tiff|figure_script))|webgateway/(?!(archived_files|download_as))|iviewer/)"
)
# The host name the pool answers on unless host_name says otherwise: view.<load_balancer.domain_name>.
HOST_LABEL = "view"
# OMERO user names: any characters but spaces here (ASCII whitespace; a name in another script passes).
_OMERO_USER = checks.Pattern(r"[^ \t\r\n\f\v]{1,255}")


def _omero_user(value: str) -> str | None:
    return None if _OMERO_USER.fullmatch(value) else "an OMERO user name (1-255 characters, no spaces)"


def _regular_expression(value: str) -> str | None:
    """OMERO.web compiles omero.web.public.url_filter with Python's re (omero-web settings.py)."""
    try:
        re.compile(value)
    except re.error as error:
        return f"a Python regular expression ({error})"
    return None


@dataclass(frozen=True, kw_only=True)
class PublicBrowsing(Block):
    """Anonymous browsing of the read-only pool as one OMERO user (OMERO.web's public user)."""

    enabled: bool = key(
        False,
        "Log visitors of the read-only pool in automatically as user (omero.web.public.*): they see what that user may see, with GET requests only.",
    )
    user: str | None = key(
        None,
        "OMERO user the visitors browse as, a member of read-only groups only (OME's public-data guide); required when enabled.",
        checks=[_omero_user],
    )
    password_secret_arn: str | None = key(
        None,
        'That user\'s password in Secrets Manager: a secret ARN, or "ARN:<json-key>::"; required when enabled (it reaches the pool as omero.web.public.password through ECS secrets).',
        checks=[secret_reference],
    )
    url_filter: str = key(
        PUBLIC_URL_FILTER,
        "Regular expression of the paths visitors may open without logging in (omero.web.public.url_filter); default: the webclient, OMERO.iviewer and webgateway without downloads, scripts or OME-TIFF export.",
        checks=[_regular_expression],
    )

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.enabled:
            for name in sorted(given - {"enabled"}):
                yield Problem(name, getattr(self, name), "only with enabled = true")
            return
        for name in ("user", "password_secret_arn"):
            if getattr(self, name) is None:
                yield Problem(name, None, "", text="missing; required with enabled = true")

    def properties(self) -> dict[str, str]:
        """The pool's omero.web.public.* properties (the password comes as a secret). The public
        user logs in to the first server of the pool's list (omero.web.public.server_id, 1-based)."""
        if not self.enabled:
            return {}
        assert self.user is not None  # cross_checks require it when enabled
        return {
            "omero.web.public.enabled": "true",
            "omero.web.public.user": self.user,
            "omero.web.public.url_filter": self.url_filter,
            "omero.web.public.server_id": "1",
            "omero.web.public.get_only": "true",
        }

    def secret_properties(self) -> dict[str, str]:
        if not self.enabled:
            return {}
        assert self.password_secret_arn is not None  # cross_checks require it when enabled
        return {"omero.web.public.password": self.password_secret_arn}


@dataclass(frozen=True, kw_only=True)
class ReadOnlyPool(Block):
    """A second OMERO.web service on its own host name whose server list names only the read-only OMERO.servers."""

    enabled: bool = key(
        False,
        "Serve viewers on host_name from OMERO.web tasks that log in to the read-only servers only (needs server.read_only_count and load_balancer.domain_name).",
    )
    host_name: str | None = key(
        None,
        f"Host name of the pool, a name in load_balancer.hosted_zone_id (its own certificate and alias record); unset: {HOST_LABEL}.<load_balancer.domain_name>.",
        checks=[checks.domain_name],
    )
    min_tasks: int = key(
        2, "Fewest tasks of the pool (each of web.cpu and web.memory; 2+ keeps one per AZ).", checks=[checks.between(1, 50)]
    )
    max_tasks: int = key(
        4, "Most tasks of the pool under load (it scales like web: requests and CPU).", checks=[checks.between(1, 50)]
    )
    public: PublicBrowsing = key(doc="Anonymous browsing of the pool (OMERO.web's public user).", factory=PublicBrowsing)

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.enabled:
            for name in sorted(given - {"enabled"}):
                yield Problem(name, getattr(self, name), "only with enabled = true")
            return
        if self.max_tasks < self.min_tasks:
            yield Problem("max_tasks", self.max_tasks, f"at least min_tasks ({self.min_tasks})")

    def host(self, domain_name: str) -> str:
        """The host name the pool answers on."""
        return self.host_name or f"{HOST_LABEL}.{domain_name}"

    def deployment_problems(self, deployment: Deployment) -> Iterator[Problem]:
        if not self.enabled:
            return
        where = "web.read_only_pool.enabled"
        if not deployment.server.read_only_count:
            yield Problem(
                where, True, "only with server.read_only_count of 1 or more (the pool logs in to the read-only servers)"
            )
        domain = deployment.load_balancer.domain_name
        if domain is None:
            yield Problem(where, True, "only with load_balancer.domain_name (the pool is reached by its host name, over HTTPS)")
            return
        host = self.host(domain)
        if host == domain:
            yield Problem("web.read_only_pool.host_name", host, "a host name other than load_balancer.domain_name")
        elif checks.domain_name(host):
            # view.<domain> may be longer than the certificate's 64 octets (ACM RequestCertificate DomainName)
            yield Problem(
                "web.read_only_pool.host_name", None, "", text=f"missing: {host} is too long for a certificate; set one"
            )
