"""Fetch staged artifacts from an S3 bucket with the ECS task role: Python's standard library only.

This file is the program an OMERO.server task's init container runs (``python -B -c <this file>``,
see ``modules.addons.zarr.pixel_buffer_stager``): the server image has Python but no AWS CLI and
no boto3. It is also imported by the tests, which check its signature against botocore's for the
same inputs and run it against the local S3 emulator.

    python -B artifact_fetch.py BASE_URL REGION DEST KEY=PATH [KEY=PATH ...]

For each ``KEY=PATH`` it GETs ``BASE_URL/KEY`` (``KEY`` is ``<sha256>/<file name>``, as
``pipenv run artifacts stage`` puts it), checks that the body's sha256 is the one the key starts
with, and writes it to ``DEST/PATH`` (0644, directories 0755; written aside, then renamed). Any
missing object, refused request or other digest ends it with status 1, before anything wrong is
written: the server then does not start (its ``dependsOn`` condition is SUCCESS).

Credentials: the task role's, from the ECS container credentials endpoint, which ECS names in
``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` (relative to http://169.254.170.2) in every container of a
task with a task role (Amazon ECS Developer Guide, "Task IAM role"); ``AWS_CONTAINER_CREDENTIALS_FULL_URI``
(with ``AWS_CONTAINER_AUTHORIZATION_TOKEN``) is read as the AWS SDKs read it. The answer holds
AccessKeyId, SecretAccessKey and Token.

Signing: AWS Signature Version 4 for service ``s3`` (Amazon S3 API Reference, "Authenticating
Requests: Using the Authorization Header"): signed headers host, x-amz-content-sha256 (of the
empty body), x-amz-date and x-amz-security-token; each path segment URI-encoded once, as S3 wants
("each path segment must be URI-encoded twice ... except for Amazon S3 which only gets URI-encoded
once", AWS General Reference, "Create a canonical request for Signature Version 4").

No dollar or percent sign directly before an opening brace anywhere in this file: it is embedded in an ECS
task definition, where Terraform would read one as the start of an interpolation or a directive.
"""

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ECS_CREDENTIALS_HOST = "http://169.254.170.2"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ATTEMPTS = 4  # each request, with 2, 4, 8 s between tries (a task starting before its network settles)
TIMEOUT = 60  # seconds per request


def credentials(environ):
    """(access key, secret key, session token) of the container's role."""
    relative = environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    url = ECS_CREDENTIALS_HOST + relative if relative else environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if not url:
        raise SystemExit(
            "no container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is unset (does the task have a task role?)"
        )
    request = urllib.request.Request(url)
    token = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    if token:
        request.add_header("Authorization", token)
    answer = json.loads(read(request))
    return answer["AccessKeyId"], answer["SecretAccessKey"], answer.get("Token")


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_path(path):
    """The path URI-encoded once, segment by segment (S3's canonical URI)."""
    return "/".join(urllib.parse.quote(urllib.parse.unquote(segment), safe="-_.~") for segment in path.split("/"))


def signed_headers(url, region, access_key, secret_key, token, when):
    """The headers of a signed SigV4 GET of ``url`` (no query string) at ``when`` (a time.struct_time, UTC)."""
    parts = urllib.parse.urlsplit(url)
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", when)
    day = amz_date[:8]
    headers = {"host": parts.netloc, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": amz_date}
    if token:
        headers["x-amz-security-token"] = token
    names = sorted(headers)
    canonical = "\n".join(
        [
            "GET",
            canonical_path(parts.path or "/"),
            "",
            "".join(name + ":" + headers[name].strip() + "\n" for name in names),
            ";".join(names),
            EMPTY_SHA256,
        ]
    )
    scope = day + "/" + region + "/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        "AWS4-HMAC-SHA256 Credential="
        + access_key
        + "/"
        + scope
        + ", SignedHeaders="
        + ";".join(names)
        + ", Signature="
        + signature
    )
    return headers


def read(request):
    """The body of ``request``'s answer, retried on network errors and server errors."""
    for attempt in range(ATTEMPTS):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == ATTEMPTS - 1:
                detail = error.read()[:300].decode(errors="replace")
                raise SystemExit("GET " + request.full_url + ": HTTP " + str(error.code) + " " + detail) from None
        except (urllib.error.URLError, OSError) as error:
            if attempt == ATTEMPTS - 1:
                raise SystemExit("GET " + request.full_url + ": " + str(error)) from None
        time.sleep(2 ** (attempt + 1))
    raise SystemExit("unreachable")


def fetch(base_url, region, key, creds):
    """The object at ``base_url/key``, signed with ``creds``."""
    url = base_url.rstrip("/") + "/" + key
    headers = signed_headers(url, region, *creds, time.gmtime())
    headers.pop("host")  # urllib sets Host from the URL, the value signed
    return read(urllib.request.Request(url, headers=headers))


def write(dest, path, body):
    """``body`` at ``dest/path``, whole or not at all."""
    target = os.path.join(dest, path)
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    partial = target + ".partial"
    with open(partial, "wb") as out:
        out.write(body)
    os.chmod(partial, 0o644)
    os.replace(partial, target)


def main(argv, environ):
    if len(argv) < 4:
        raise SystemExit("usage: artifact_fetch.py BASE_URL REGION DEST KEY=PATH [KEY=PATH ...]")
    base_url, region, dest, pairs = argv[0], argv[1], argv[2], argv[3:]
    creds = credentials(environ)
    for pair in pairs:
        key, _, path = pair.partition("=")
        expected = key.split("/", 1)[0]
        if len(expected) != 64 or not path or path.startswith("/") or ".." in path.split("/"):
            raise SystemExit("not a <sha256>/<file>=<path below OMERO.server> pair: " + pair)
        body = fetch(base_url, region, key, creds)
        digest = hashlib.sha256(body).hexdigest()
        if digest != expected:
            raise SystemExit(key + ": sha256 " + digest + " is not the pinned " + expected + "; nothing installed")
        write(dest, path, body)
        print("staged " + path + " (sha256 " + digest + ", " + str(len(body)) + " bytes)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:], os.environ)
