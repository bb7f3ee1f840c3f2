"""How an OMERO.server container starts and stops, and how ECS judges its health.

The image's entry point activates OMERO's virtualenv and runs each file of ``/startup`` in order:
``50-config.py`` (the ``CONFIG_*`` settings), ``60-database.sh`` ("omego db upgrade", or
"omego db init" when that fails) and ``99-run.sh`` ("omero admin start --foreground")
(ome/omero-server-docker, entrypoint.sh and Dockerfile). The container runs those steps itself,
under a shell that stops OMERO properly (see Stop).

Logs: OMERO's Java services log to files under ``var/log`` only (etc/logback.xml has no console
appender; ome/omero-server-docker#9), and the container's ``awslogs`` driver takes stdout and
stderr alone, so the start script follows those files onto stdout beside the image's own output.

Health: healthy when Glacier2 accepts connections on 4064 *and* ``omero admin status`` answers,
which asks IceGrid for Blitz's session manager and tries a login there (ome/omero-py
src/omero/plugins/admin.py, ``status``; manics/kubernetes-omero probes the server with it), so a
hung or out-of-memory Blitz behind a live router is replaced. A server that is still starting is
given time: while ``omego`` creates or upgrades the schema (which can take far longer than the
300 s ECS allows as a start period) and for ``GRACE_SECONDS`` after, counted from a mark the check
itself keeps.

Stop: ECS stops a task by SIGTERM to the container's init (``initProcessEnabled``), which passes
it to its child alone, and kills everything ``stopTimeout`` seconds later. ``omero admin start
--foreground`` has no handler for SIGTERM: it would die at once and leave icegridnode, Blitz,
PixelData and the Indexer to be killed mid-import. So the start shell runs the steps in a process
group of their own, traps SIGTERM, runs OMERO's own ``omero admin stop`` (IceGrid shuts every
service down and the node exits), then ends whatever is left of the steps and its helpers, all
within ``STOP_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from modules.server_extras import PINS_VARIABLE

SERVER_DIR = "/opt/omero/server/OMERO.server"
LOG_DIR = f"{SERVER_DIR}/var/log"
# The files OMERO.server's services write there (OMERO sysadmin docs, "Server log files").
LOG_FILES = (
    "Blitz-0.log",
    "Indexer-0.log",
    "PixelData-0.log",
    "Processor-0.log",
    "Tables-0.log",
    "FileServer.log",
    "MonitorServer.log",
    "DropBox.log",
    "master.err",
)
GRACE_SECONDS = 600  # after the schema step, for Blitz to answer
MARK = "/tmp/omero-health-grace"  # its age is the grace used so far
STATUS_TIMEOUT_SECONDS = 20  # omero admin status beyond this is a server that does not answer

# ECS kills the container this long after the SIGTERM: Fargate allows at most 120 s (ECS API
# Reference, ContainerDefinition stopTimeout: "the max stop timeout value is 120 seconds"; on EC2
# the task's value applies, else the agent's ECS_CONTAINER_STOP_TIMEOUT, 30 s by default).
STOP_TIMEOUT_SECONDS = 120
# omero admin stop waits this long for the node to go down (its --wait, polled 30 times; omero-py
# admin.py stop/waitdown), leaving time to end what is left before ECS kills the container.
STOP_WAIT_SECONDS = 90

# Read-only servers keep their TLS certificate on local disk: /OMERO is read-only there, and
# omero certificates writes into omero.glacier2.IceSSL.DefaultDir, <omero.data.dir>/certs unless
# set (ome/omero-certificates certificates.py, update_config), failing (and the container with
# it) when it cannot create that directory.
READ_ONLY_CERT_DIR = "/tmp/omero-certs"


@dataclass(frozen=True)
class Image:
    """Where the image keeps what the start shell runs (ome/omero-server-docker Dockerfile and
    entrypoint.sh); tests point these at stand-ins."""

    venv: str = "/opt/omero/server/venv3"  # OMERO's virtualenv: python, omero, omego
    startup: str = "/startup"  # 50-config.py, 60-database.sh, 99-run.sh

    @property
    def omero(self) -> str:
        return f"{self.venv}/bin/omero"

    @property
    def python(self) -> str:
        return f"{self.venv}/bin/python"

    @property
    def activate(self) -> str:
        return f"source {shlex.quote(self.venv + '/bin/activate')}"


IMAGE = Image()


def read_only_start(image: Image = IMAGE, cert_dir: str = READ_ONLY_CERT_DIR) -> str:
    """A read-only server runs the config and run steps only: it must never create or upgrade the
    schema, whatever state the database is in. Its certificate directory is set before the config
    step, whose ``omero load`` runs ``certificates`` (ome/ansible-role-omero-server
    templates/00-omero-server-omero.j2) before any ``CONFIG_*`` variable is applied."""
    return (
        f"{image.activate} && {shlex.quote(image.omero)} config set omero.glacier2.IceSSL.DefaultDir "
        f"{shlex.quote(cert_dir)} && {shlex.quote(image.startup + '/50-config.py')} && "
        f"exec {shlex.quote(image.startup + '/99-run.sh')}"
    )


def wait_for_schema(image: Image = IMAGE, cert_dir: str = READ_ONLY_CERT_DIR) -> str:
    """A read-only server must not start before the read-write one has created the schema. It
    waits for a finished database patch (keeping its health grace fresh meanwhile), then starts
    without the image's database step: after an image upgrade it fails OMERO's own schema check
    (and ECS starts it again) until the read-write server has upgraded the database."""
    return (
        'export PGPASSWORD="$CONFIG_omero_db_pass"; '
        'until [ "$(psql -h "$CONFIG_omero_db_host" -p "$CONFIG_omero_db_port" -U "$CONFIG_omero_db_user" '
        '"$CONFIG_omero_db_name" -tAc "SELECT 1 FROM dbpatch WHERE finished IS NOT NULL LIMIT 1" 2>/dev/null)" = 1 ]; '
        f'do echo "waiting for the read-write OMERO.server to initialise the database"; touch {MARK}; sleep 15; done; '
        f"unset PGPASSWORD; {read_only_start(image, cert_dir)}"
    )


def follow_logs(log_dir: str = LOG_DIR) -> str:
    """Shell that copies new lines of the server's log files to stdout, in the background.

    ``tail -F`` follows each file by name, so files not yet created and files rolled over by
    logback are picked up; its "==> file <==" headers say which file a line comes from."""
    files = " ".join(shlex.quote(f"{log_dir}/{name}") for name in LOG_FILES)
    return f"mkdir -p {shlex.quote(log_dir)}; tail -n 0 -F {files} 2>/dev/null & "


PYTHON = IMAGE.python

# An HTTP answer for the load balancer about a port that cannot give one: Ice closes a plain HTTP
# request on its websocket port without answering (zeroc-ice/ice 3.6, WSTransceiver), so this
# answers 200 while that port accepts connections and 503 otherwise. No "${" or "%{" (Terraform).
_RESPONDER = """import http.server, socket, sys
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            socket.create_connection(("localhost", int(sys.argv[1])), timeout=2).close()
            code = 200
        except OSError:
            code = 503
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("", int(sys.argv[2])), Health).serve_forever()
"""


def websocket_health(port: int, health_port: int, python: str = PYTHON) -> str:
    """Shell that starts the health responder for ``port`` on ``health_port``, in the background."""
    return f"{python} -c {shlex.quote(_RESPONDER)} {port} {health_port} & "


READ_ONLY_PASSWORD_VARIABLE = "OMERO_RO_PASSWORD"  # the read-only role's password (an ECS secret)

# A SCRAM-SHA-256 verifier of the password in READ_ONLY_PASSWORD_VARIABLE, as PostgreSQL stores
# one (RFC 5802, RFC 7677; PostgreSQL "Password Authentication"): the role's password is set from
# it, so the plain password never reaches the server, whose log_statement = ddl logs ALTER ROLE
# ("the password ... might also be logged", PostgreSQL docs, CREATE ROLE). The password is letters
# and digits, which SASLprep leaves as they are.
_SCRAM = """import base64, hashlib, hmac, os
password = os.environ["OMERO_RO_PASSWORD"].encode()
salt, iterations = os.urandom(16), 4096
salted = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
client = hmac.new(salted, b"Client Key", "sha256").digest()
server = hmac.new(salted, b"Server Key", "sha256").digest()
b64 = lambda data: base64.b64encode(data).decode()
print("SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt), b64(hashlib.sha256(client).digest()), b64(server)))
"""


def read_only_role(user: str, python: str = PYTHON) -> str:
    """Shell, run as the database owner after the schema step, that makes ``user`` a role that may
    read every table and sequence of OMERO's schema and nothing else, now and after later schema
    upgrades (default privileges of the owner), with the password of the read-only servers.

    Needs only psql and python, which the image has; the SQL is idempotent, so every start of the
    read-write server brings the role back in step with its secret and the schema."""
    sql = (
        f"DO $body$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "
        f"THEN CREATE ROLE {user}; END IF; END $body$;\n"
        # Only LOGIN and the password: CREATE ROLE's defaults (NOSUPERUSER NOCREATEDB NOCREATEROLE)
        # stay, and naming them would need a superuser, which RDS's master user is not.
        f"ALTER ROLE {user} WITH LOGIN PASSWORD :'verifier';\n"
        f'GRANT CONNECT ON DATABASE :"dbname" TO {user};\n'
        f"GRANT USAGE ON SCHEMA public TO {user};\n"
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {user};\n"
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {user};\n"
        f'ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO {user};\n'
        f'ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON SEQUENCES TO {user};\n'
    )
    return (
        f"verifier=$({python} -c {shlex.quote(_SCRAM)}) && unset {READ_ONLY_PASSWORD_VARIABLE} && "
        'PGPASSWORD="$CONFIG_omero_db_pass" psql -q -v ON_ERROR_STOP=1 -h "$CONFIG_omero_db_host" '
        '-p "$CONFIG_omero_db_port" -U "$CONFIG_omero_db_user" -d "$CONFIG_omero_db_name" '
        '-v verifier="$verifier" -v dbname="$CONFIG_omero_db_name" -v owner="$CONFIG_omero_db_user" '
        f"<<< {shlex.quote(sql)} && echo 'read-only database role {user} in step'"
    )


def install_extras(staged: str, server_dir: str = SERVER_DIR, variable: str = PINS_VARIABLE) -> str:
    """Shell that installs the files pinned in ``$variable`` ("<path>=<sha256>[,<sha256>...]"
    entries, space-separated; config.artifacts.pins) from ``staged`` into ``server_dir``, at the
    same relative path: each file is copied next to its place, its copy's sha256 checked against
    the pins, and only then moved in (a file already there with those bytes is left as it is).
    A missing file or any other digest ends the start with one line naming the file; nothing of
    OMERO runs. Only bash and coreutils, which the image has (modules/server_extras.py)."""
    fail = 'echo "OMERO.server not started: $path'
    return (
        f'for pin in ${variable}; do path=$(printf %s "$pin" | cut -d= -f1); accepted=$(printf %s "$pin" | cut -d= -f2); '
        f'from={shlex.quote(staged)}/"$path"; to={shlex.quote(server_dir)}/"$path"; '
        f'[ -f "$from" ] || {{ {fail} is pinned but was not staged (no $from)" >&2; exit 1; }}; '
        f'mkdir -p "$(dirname "$to")" && cp "$from" "$to.staged" || {{ {fail} could not be copied into OMERO.server" >&2; exit 1; }}; '
        'got=$(sha256sum "$to.staged" | cut -d" " -f1); '
        'case ",$accepted," in *",$got,"*) [ -n "$got" ];; *) false;; esac || { rm -f "$to.staged"; '
        f'{fail} has sha256 $got, which is not pinned ($accepted; config/artifacts.py)" >&2; exit 1; }}; '
        'if cmp -s "$to.staged" "$to"; then rm -f "$to.staged"; echo "$path: already installed (sha256 $got)"; '
        'else mv -f "$to.staged" "$to" && echo "$path: installed (sha256 $got)"; fi; done'
    )


def start_command(
    *,
    read_only: bool,
    make_dirs: tuple[str, ...] = (),
    websocket: tuple[int, int] | None = None,
    read_only_user: str | None = None,
    extras: str | None = None,
    image: Image = IMAGE,
    log_dir: str = LOG_DIR,
    cert_dir: str = READ_ONLY_CERT_DIR,
    server_dir: str = SERVER_DIR,
) -> str:
    """The container's command (run by ``/bin/bash -c``); ``websocket``: (wss port, its health
    port) when the load balancer forwards websockets to this server; ``read_only_user``: the
    role the read-only servers log in as, kept in step before the server runs; ``extras``: the
    directory of staged files to verify and install before anything else (see install_extras)."""
    helpers = follow_logs(log_dir) + (websocket_health(*websocket, python=image.python) if websocket else "")
    install = f"{install_extras(extras, server_dir)}; " if extras else ""
    if read_only:
        return helpers + supervised(install + wait_for_schema(image, cert_dir), image)
    mkdir = f"mkdir -p {' '.join(shlex.quote(d) for d in make_dirs)} && " if make_dirs else ""
    before_run = read_only_role(read_only_user, python=image.python) if read_only_user else "true"
    return helpers + supervised(install + mkdir + run_startup(before_run=before_run, image=image), image)


def run_startup(*, before_run: str, image: Image = IMAGE) -> str:
    """The image's start steps as its entry point runs them (every executable file of /startup in
    order, in OMERO's virtualenv; ome/omero-server-docker entrypoint.sh), with ``before_run``
    between the schema step and the last one, 99-run.sh, which runs the server."""
    return (
        f"set -e; {image.activate}; "
        f'for f in {shlex.quote(image.startup)}/*; do [ -f "$f" ] && [ -x "$f" ] || continue; '
        f'case "$f" in */99-run.sh) {before_run}; exec "$f";; esac; echo "Running $f"; "$f"; done'
    )


def supervised(steps: str, image: Image = IMAGE) -> str:
    """Shell that runs ``steps`` in a process group of their own (``set -m``) and, on SIGTERM, stops
    OMERO with ``omero admin stop`` before ending what is left of the steps and the helpers
    started before it (the log follower, the wss health responder), so the container exits within
    ``STOP_TIMEOUT_SECONDS``. Without a SIGTERM the shell exits with the steps' status."""
    stop = (
        f"timeout {STOP_WAIT_SECONDS + 10} {shlex.quote(image.omero)} admin stop --wait {STOP_WAIT_SECONDS} "
        '|| echo "omero admin stop failed; ending the server"'
    )
    return (
        "stop_server() { "
        'echo "SIGTERM: stopping OMERO.server"; '
        f"{stop}; "
        '[ -n "$server" ] && kill -TERM -- -"$server" 2>/dev/null; wait "$server"; '
        "kill $(jobs -p) 2>/dev/null; exit 0; }; "
        "trap stop_server TERM; "
        f"set -m; ( {steps} ) & server=$!; set +m; "
        'wait "$server"; status=$?; kill $(jobs -p) 2>/dev/null; exit "$status"'
    )


def health_script(
    port: int,
    *,
    omero: str = IMAGE.omero,
    mark: str = MARK,
    grace_seconds: int = GRACE_SECONDS,
    status_timeout: int = STATUS_TIMEOUT_SECONDS,
) -> str:
    """Exit 0 when Glacier2 accepts connections on ``port`` and Blitz answers ``omero admin
    status`` within ``status_timeout`` seconds, or while the server is still starting.

    Only bash, coreutils and OMERO's CLI, which the image has. The schema step is found by the
    command line ``omego db ...`` in /proc; the pattern is split so the check never finds its own."""
    return (
        f"(exec 3<>/dev/tcp/localhost/{port}) 2>/dev/null && "
        f"timeout {status_timeout} {shlex.quote(omero)} admin status >/dev/null 2>&1 && exit 0; "
        "o=ome; for c in /proc/[0-9]*/cmdline; do "
        f'case "$(tr "\\0" " " < "$c" 2>/dev/null)" in *"$o"go\\ db*) touch {mark}; exit 0;; esac; done; '
        f"[ -f {mark} ] || {{ touch {mark}; exit 0; }}; "
        f"[ $(( $(date +%s) - $(stat -c %Y {mark}) )) -lt {grace_seconds} ]"
    )


def health_check(port: int) -> dict[str, object]:
    """The container's ``healthCheck`` (ECS API Reference, HealthCheck: interval 5-300 s,
    timeout 2-60 s, retries 1-10, startPeriod 0-300 s): a check a minute, as kubernetes-omero
    probes (periodSeconds 60), given more than ``omero admin status``'s own timeout."""
    return {
        "command": ["CMD", "/bin/bash", "-c", health_script(port)],
        "interval": 60,
        "timeout": STATUS_TIMEOUT_SECONDS + 10,
        "retries": 3,
        "startPeriod": 300,
    }
