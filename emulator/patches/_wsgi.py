"""Shared by the patches that answer a service moto lacks: requests served ahead of moto's own
dispatch (``answer_before_moto``), and a JSON-protocol service made of plain handlers
(``json_service``, whose handlers raise ``ApiError``)."""

from __future__ import annotations

import json
from collections.abc import Callable

from emulator.patches import Patcher


def answer_before_moto(patcher: Patcher, matches, application) -> None:
    """Serve requests that ``matches(environ)`` with the WSGI ``application``, ahead of moto's
    dispatch by host and signature (which knows only moto's own services)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatch = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        if matches(environ):
            return application(environ, start_response)
        return dispatch(self, environ, start_response)

    patcher.setattr(DomainDispatcherApplication, "__call__", __call__)


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.code, self.message, self.status, self.extra = code, message, status, extra


def json_service(
    patcher: Patcher,
    target_prefix: str,
    message_key: str,
    actions: dict[str, Callable],
    only: frozenset[str] | None = None,
) -> None:
    """A JSON-protocol service answered by ``actions`` (operation name -> handler taking the
    request's (account, region, body) and returning the response body), for requests whose
    X-Amz-Target starts with ``target_prefix`` (and names one of ``only``, if given: moto answers
    the service's other operations). Errors carry their type and ``message_key``."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from
    from werkzeug.wrappers import Response

    def reply(status: int, body: dict, error: str | None = None):
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "emulator"}
        if error:
            headers["X-Amzn-ErrorType"] = error
        return Response(json.dumps(body, default=str), status=status, headers=headers)

    def application(environ, start_response):
        action = environ["HTTP_X_AMZ_TARGET"].split(".", 1)[1]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        # Credential=<access key>/<date>/<region>/<service>/aws4_request
        credential = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        region = credential[2] if len(credential) > 2 else "us-east-1"
        account = get_account_id_from(credential[0]) if credential[0] else DEFAULT_ACCOUNT_ID
        handler = actions.get(action)
        if handler is None:
            response = reply(400, {"__type": "InvalidAction", message_key: f"{action} is not emulated"}, "InvalidAction")
        else:
            try:
                response = reply(200, handler(account, region, body))
            except ApiError as error:
                response = reply(error.status, {"__type": error.code, message_key: error.message, **error.extra}, error.code)
        return response(environ, start_response)

    def matches(environ) -> bool:
        service, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        return service == target_prefix and (only is None or action in only)

    answer_before_moto(patcher, matches, application)
