"""The read-only servers' SELECT-only database role, made by the read-write server's start step,
run for real: bash, psql and a PostgreSQL server on 127.0.0.1 (started here, stopped after)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modules.database import READ_ONLY_USER
from modules.server_start import READ_ONLY_PASSWORD_VARIABLE, read_only_role, start_command

POSTGRES_BIN = Path(os.environ.get("OMERO_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
OWNER_PASSWORD = "OwnerPassw0rdForTests"
READER_PASSWORD = "Reader0nlyPassw0rdForTests"


def _why_unavailable() -> str | None:
    if shutil.which("psql") is None or shutil.which("bash") is None:
        return "psql and bash are needed"
    if not (POSTGRES_BIN / "postgres").exists():
        return f"no PostgreSQL server in {POSTGRES_BIN} (set OMERO_TEST_POSTGRES_BIN)"
    return None


pytestmark = pytest.mark.skipif(_why_unavailable() is not None, reason=_why_unavailable() or "")


def _as_postgres_user(args: list[str], user: str) -> list[str]:
    """PostgreSQL refuses to run as root: run it as an unprivileged user when we are root."""
    return ["runuser", "-u", user, "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def database():
    """A PostgreSQL server with an OMERO-like database: owner "omero" (as RDS's master user, it may
    create roles) owning a table and a sequence."""
    import tempfile

    user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    # Not under pytest's own temporary directory, which only its owner may enter.
    root = Path(tempfile.mkdtemp(prefix="omero-postgres-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(_as_postgres_user(list(args), user), check=True, capture_output=True, text=True, timeout=120)

    run(str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256")
    server = subprocess.Popen(
        _as_postgres_user(
            [str(POSTGRES_BIN / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(root)], user
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # bounded: up to 20 s for the server to accept connections
            if (
                subprocess.run(
                    ["psql", "-h", str(root), "-p", str(port), "-U", "postgres", "-c", "select 1"],
                    capture_output=True,
                    timeout=10,
                ).returncode
                == 0
            ):
                break
            time.sleep(0.2)
        else:
            pytest.fail("PostgreSQL did not start")
        admin = ["psql", "-v", "ON_ERROR_STOP=1", "-h", str(root), "-p", str(port), "-U", "postgres"]
        subprocess.run(
            admin
            + [
                "-c",
                f"CREATE ROLE omero LOGIN CREATEROLE PASSWORD '{OWNER_PASSWORD}'",
                "-c",
                "CREATE DATABASE omero OWNER omero",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        owner(
            port,
            "CREATE TABLE dbpatch (id serial PRIMARY KEY, finished timestamp); INSERT INTO dbpatch (finished) VALUES (now())",
        )
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def _psql(port: int, user: str, password: str, sql: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PGPASSWORD": password}
    return subprocess.run(
        ["psql", "-v", "ON_ERROR_STOP=1", "-tA", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", "omero", "-c", sql],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def owner(port: int, sql: str) -> str:
    result = _psql(port, "omero", OWNER_PASSWORD, sql)
    assert result.returncode == 0, result.stderr
    return result.stdout


def make_role(port: int) -> subprocess.CompletedProcess:
    """The start step as the read-write container runs it: settings from CONFIG_* variables, the
    role's password from its ECS secret, python and psql from the image (here: this machine's)."""
    env = {
        "PATH": os.environ["PATH"],
        "CONFIG_omero_db_host": "127.0.0.1",
        "CONFIG_omero_db_port": str(port),
        "CONFIG_omero_db_user": "omero",
        "CONFIG_omero_db_name": "omero",
        "CONFIG_omero_db_pass": OWNER_PASSWORD,
        READ_ONLY_PASSWORD_VARIABLE: READER_PASSWORD,
    }
    return subprocess.run(
        ["bash", "-c", read_only_role(READ_ONLY_USER, python=sys.executable)], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_role_reads_everything_and_writes_nothing(database):
    made = make_role(database)
    assert made.returncode == 0, made.stderr
    assert f"read-only database role {READ_ONLY_USER} in step" in made.stdout

    def reader(sql: str):
        return _psql(database, READ_ONLY_USER, READER_PASSWORD, sql)

    assert reader("SELECT count(*) FROM dbpatch WHERE finished IS NOT NULL").stdout.strip() == "1"
    for sql in (
        "INSERT INTO dbpatch (finished) VALUES (now())",
        "UPDATE dbpatch SET finished = now()",
        "DELETE FROM dbpatch",
        "CREATE TABLE mine (id int)",
        "SELECT nextval('dbpatch_id_seq')",
    ):
        refused = reader(sql)
        assert refused.returncode != 0 and "permission denied" in refused.stderr, sql
    assert _psql(database, READ_ONLY_USER, "not-the-password", "SELECT 1").returncode != 0
    assert READER_PASSWORD not in made.stdout + made.stderr


def test_tables_a_schema_upgrade_adds_are_readable_and_the_step_repeats(database):
    assert make_role(database).returncode == 0
    owner(database, "CREATE TABLE IF NOT EXISTS upgrade_added (id int); INSERT INTO upgrade_added VALUES (7)")
    assert _psql(database, READ_ONLY_USER, READER_PASSWORD, "SELECT id FROM upgrade_added").stdout.strip() == "7"
    again = make_role(database)  # every start of the read-write server runs it
    assert again.returncode == 0, again.stderr


def test_the_step_runs_between_the_schema_step_and_the_server(tmp_path):
    """The read-write start command runs /startup's steps in order with the role step before
    99-run.sh; without read-only servers the same steps run with nothing between them."""
    command = start_command(read_only=False, read_only_user=READ_ONLY_USER)
    loop = command[command.index("set -e;") :]
    assert (
        loop.index("for f in /startup/*")
        < loop.index("*/99-run.sh)")
        < loop.index("read-only database role")
        < loop.index('exec "$f"')
    )
    plain = start_command(read_only=False)
    assert "read-only database role" not in plain and "*/99-run.sh) true; exec" in plain
    assert "${" not in command and "%{" not in command  # Terraform's template syntax


def test_read_only_servers_log_in_as_their_role_and_never_see_the_owner_password(examples):
    from tests.test_services import container, environment, policy_statements

    synth = examples["tls-rw-ro"]
    secrets = synth.resources("storage", "aws_secretsmanager_secret")
    [readonly] = [s for s in secrets.values() if s["name"].endswith("/omero/db-readonly-password")]
    assert readonly["name"] == "omero-prod/omero/db-readonly-password"
    writer = container(synth, "-omero-server")
    assert environment(writer)["CONFIG_omero_db_user"] == "omero"
    assert READ_ONLY_PASSWORD_VARIABLE in {s["name"] for s in writer["secrets"]}
    assert "read-only database role omero_ro in step" in writer["command"][0]
    for index in (1, 2):
        reader = container(synth, f"-omero-server-ro-{index}")
        assert environment(reader)["CONFIG_omero_db_user"] == READ_ONLY_USER
        # its database password, and the example's LDAP bind password (server.secret_properties)
        [password, ldap] = reader["secrets"]
        assert password["name"] == "CONFIG_omero_db_pass" and "readonly" in password["valueFrom"]
        assert ldap["name"] == "CONFIG_omero_ldap_password" and ldap["valueFrom"].startswith("arn:aws:secretsmanager:")
        statements = policy_statements(synth, f"read_only_server_{index}_roles_execution_document")
        [readable] = [s["resources"] for s in statements if s["actions"] == ["secretsmanager:GetSecretValue"]]
        assert len(readable) == 2 and "readonly" in readable[0] and "omero-prod/ldap-bind" in readable[1]


def test_without_read_only_servers_there_is_no_role(examples):
    synth = examples["tls-rw"]
    names = [s["name"] for s in synth.resources("storage", "aws_secretsmanager_secret").values()]
    assert not any(n.endswith("db-readonly-password") for n in names)
