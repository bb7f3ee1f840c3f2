"""How an OMERO.server container starts, and how ECS judges its health.

The image's entry point activates OMERO's virtualenv and runs each file of ``/startup`` in order:
``50-config.py`` (the ``CONFIG_*`` settings), ``60-database.sh`` ("omego db upgrade", or
"omego db init" when that fails) and ``99-run.sh`` ("omero admin start --foreground")
(ome/omero-server-docker, entrypoint.sh and Dockerfile).

Logs: OMERO's Java services log to files under ``var/log`` only (etc/logback.xml has no console
appender; ome/omero-server-docker#9), and the container's ``awslogs`` driver takes stdout and
stderr alone, so the start script follows those files onto stdout beside the image's own output.

Health: Blitz listening on 4064 is healthy. A server that is still starting is given time: while
``omego`` creates or upgrades the schema (which can take far longer than the 300 s ECS allows as a
start period) and for ``GRACE_SECONDS`` after, counted from a mark the check itself keeps.
"""

from __future__ import annotations

import shlex

ENTRYPOINT = "/usr/local/bin/entrypoint.sh"  # the image's own start script
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
GRACE_SECONDS = 600  # after the schema step, for Blitz to open its port
MARK = "/tmp/omero-health-grace"  # its age is the grace used so far

# A read-only server runs the config and run steps only: it must never create or upgrade the
# schema, whatever state the database is in.
READ_ONLY_START = "source /opt/omero/server/venv3/bin/activate && /startup/50-config.py && exec /startup/99-run.sh"

# A read-only server must not start before the read-write one has created the schema. It waits
# for a finished database patch (keeping its health grace fresh meanwhile), then starts without
# the image's database step: after an image upgrade it fails OMERO's own schema check (and ECS
# starts it again) until the read-write server has upgraded the database.
WAIT_FOR_SCHEMA = (
    'export PGPASSWORD="$CONFIG_omero_db_pass"; '
    'until [ "$(psql -h "$CONFIG_omero_db_host" -p "$CONFIG_omero_db_port" -U "$CONFIG_omero_db_user" '
    '"$CONFIG_omero_db_name" -tAc "SELECT 1 FROM dbpatch WHERE finished IS NOT NULL LIMIT 1" 2>/dev/null)" = 1 ]; '
    f'do echo "waiting for the read-write OMERO.server to initialise the database"; touch {MARK}; sleep 15; done; '
    f"unset PGPASSWORD; {READ_ONLY_START}"
)


def follow_logs(log_dir: str = LOG_DIR) -> str:
    """Shell that copies new lines of the server's log files to stdout, in the background.

    ``tail -F`` follows each file by name, so files not yet created and files rolled over by
    logback are picked up; its "==> file <==" headers say which file a line comes from."""
    files = " ".join(shlex.quote(f"{log_dir}/{name}") for name in LOG_FILES)
    return f"mkdir -p {shlex.quote(log_dir)}; tail -n 0 -F {files} 2>/dev/null & "


PYTHON = "/opt/omero/server/venv3/bin/python"  # the image's OMERO virtualenv

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


def start_command(
    *,
    read_only: bool,
    make_dirs: tuple[str, ...] = (),
    websocket: tuple[int, int] | None = None,
    read_only_user: str | None = None,
) -> str:
    """The container's command (run by ``/bin/bash -c``); ``websocket``: (wss port, its health
    port) when the load balancer forwards websockets to this server; ``read_only_user``: the
    role the read-only servers log in as, kept in step before the server runs."""
    if read_only:
        return follow_logs() + WAIT_FOR_SCHEMA
    mkdir = f"mkdir -p {' '.join(shlex.quote(d) for d in make_dirs)} && " if make_dirs else ""
    health = websocket_health(*websocket) if websocket else ""
    if read_only_user is None:
        return f"{follow_logs()}{health}{mkdir}exec {ENTRYPOINT}"
    return f"{follow_logs()}{health}{mkdir}{run_startup(before_run=read_only_role(read_only_user))}"


def run_startup(*, before_run: str) -> str:
    """The image's start steps as its entry point runs them (every executable file of /startup in
    order, in OMERO's virtualenv; ome/omero-server-docker entrypoint.sh), with ``before_run``
    between the schema step and the last one, 99-run.sh, which runs the server."""
    return (
        "set -e; source /opt/omero/server/venv3/bin/activate; "
        'for f in /startup/*; do [ -f "$f" ] && [ -x "$f" ] || continue; '
        f'case "$f" in */99-run.sh) {before_run}; exec "$f";; esac; echo "Running $f"; "$f"; done'
    )


def health_script(port: int, *, mark: str = MARK, grace_seconds: int = GRACE_SECONDS) -> str:
    """Exit 0 when Blitz accepts connections on ``port``, or while the server is still starting.

    Only bash and coreutils, which the image has. The schema step is found by the command line
    ``omego db ...`` in /proc; the pattern is split so the check never finds its own."""
    return (
        f"(exec 3<>/dev/tcp/localhost/{port}) 2>/dev/null && exit 0; "
        "o=ome; for c in /proc/[0-9]*/cmdline; do "
        f'case "$(tr "\\0" " " < "$c" 2>/dev/null)" in *"$o"go\\ db*) touch {mark}; exit 0;; esac; done; '
        f"[ -f {mark} ] || {{ touch {mark}; exit 0; }}; "
        f"[ $(( $(date +%s) - $(stat -c %Y {mark}) )) -lt {grace_seconds} ]"
    )


def health_check(port: int) -> dict[str, object]:
    """The container's ``healthCheck`` (ECS API Reference, HealthCheck: interval 5-300 s,
    timeout 2-60 s, retries 1-10, startPeriod 0-300 s)."""
    return {
        "command": ["CMD", "/bin/bash", "-c", health_script(port)],
        "interval": 30,
        "timeout": 10,
        "retries": 3,
        "startPeriod": 300,
    }
