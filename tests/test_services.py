"""The services stack, read from the synthesized JSON of each topology's example."""

from __future__ import annotations

import json

import pytest

from modules.omero_config import config_variable
from tests.harness.defaults import SERVER_IMAGE, WEB_IMAGE
from tests.harness.synth import one

EXAMPLES = ["quickstart-http", "tls-rw", "tls-rw-ro", "tls-rw-nlb", "ec2-launch-type", "existing-vpc"]


def services(synth) -> dict[str, dict]:
    return {r["name"]: r for r in synth.resources("services", "aws_ecs_service").values()}


def task(synth, family_suffix: str) -> dict:
    [found] = [t for t in synth.resources("services", "aws_ecs_task_definition").values() if t["family"].endswith(family_suffix)]
    return found


def container(synth, family_suffix: str) -> dict:
    """The task's own container: first, before any init container (OMERO.server's stagers)."""
    return json.loads(task(synth, family_suffix)["container_definitions"])[0]


def environment(definition: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in definition["environment"]}


def policy_statements(synth, name_fragment: str) -> list[dict]:
    """Statements of the IAM policy documents whose construct id contains ``name_fragment``."""
    documents = synth.data("services", "aws_iam_policy_document")
    return [s for key, doc in documents.items() if name_fragment in key for s in doc["statement"]]


def test_property_names_become_config_variables():
    assert config_variable("omero.db.host") == "CONFIG_omero_db_host"
    assert config_variable("omero.web.server_list") == "CONFIG_omero_web_server__list"
    assert config_variable("omero.cluster.read_only.db") == "CONFIG_omero_cluster_read__only_db"
    assert config_variable("omero.jvmcfg.system_memory") == "CONFIG_omero_jvmcfg_system__memory"


@pytest.mark.parametrize("example", EXAMPLES)
def test_read_write_server_is_a_singleton(examples, example):
    server = services(examples[example])["omero-server"]
    assert server["desired_count"] == 1
    # a deployment stops the old writer before the new one starts
    assert server["deployment_maximum_percent"] == 100 and server["deployment_minimum_healthy_percent"] == 0
    assert server["enable_execute_command"] is True
    assert server["network_configuration"]["assign_public_ip"] is False
    targets = examples[example].resources("services", "aws_appautoscaling_target").values()
    # OMERO.web scales (and the read-only pool's OMERO.web, if there is one); the servers never do
    scaled = sorted(t["resource_id"].rsplit("/", 1)[1] for t in targets)
    assert "${aws_ecs_service.web_service_10983F6A.name}" in scaled
    assert all(s.startswith(("${aws_ecs_service.web_service_", "${aws_ecs_service.read_only_web_service_")) for s in scaled)


@pytest.mark.parametrize("example", EXAMPLES)
def test_secrets_reach_containers_only_through_ecs_secrets(examples, example):
    synth = examples[example]
    for definition in synth.resources("services", "aws_ecs_task_definition").values():
        for entry in json.loads(definition["container_definitions"]):
            names = [e["name"] for e in entry.get("environment", [])]  # init containers may have none
            assert not [n for n in names if any(word in n.upper() for word in ("PASS", "SECRET", "TOKEN"))], names
            for secret in entry.get("secrets", []):
                made_here = secret["valueFrom"].startswith("${") and secret["valueFrom"].endswith("arn}")
                assert made_here or secret["valueFrom"].startswith("arn:aws:secretsmanager:"), secret  # or configured
    server = container(synth, "-omero-server")
    # with read-only servers, the read-write one also keeps their role's password in step
    expected = {"CONFIG_omero_db_pass", "ROOTPASS"} | (
        {"OMERO_RO_PASSWORD"} if synth.deployment.server.read_only_count else set()
    )
    expected |= {config_variable(p) for p in synth.deployment.server.secret_properties}  # server.secret_properties
    assert {s["name"] for s in server["secrets"]} == expected
    assert "storage.outputs" in server["secrets"][0]["valueFrom"]  # from the storage stack's secret
    web = container(synth, "-omero-web")
    # the Django secret key, and omero.web.caches (the session store's address and AUTH token)
    assert [s["name"] for s in web["secrets"]] == ["CONFIG_omero_web_secret__key", "CONFIG_omero_web_caches"]


def test_server_container(examples):
    synth = examples["tls-rw"]
    server = container(synth, "-omero-server")
    assert server["image"] == SERVER_IMAGE  # the example sets none: the default
    env = environment(server)
    assert env["CONFIG_omero_db_name"] == "omero" and env["CONFIG_omero_db_user"] == "omero"
    assert env["CONFIG_omero_db_host"].startswith("${data.terraform_remote_state.")
    assert env["CONFIG_omero_jvmcfg_system__memory"] == "16384"  # the task's memory, not the host's
    assert env["CONFIG_omero_db_poolsize"] == "25"  # from server.db_pool_size
    assert server["ulimits"] == [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}]
    assert server["mountPoints"] == [
        {"sourceVolume": "omero-data", "containerPath": "/OMERO", "readOnly": False},
        {"sourceVolume": "omero-server-extras", "containerPath": "/opt/omero/server/staged", "readOnly": True},
    ]  # /OMERO, and the files staged for OMERO.server (tests/test_server_extras.py)
    # Ice over TLS, and (behind HTTPS) wss with its health responder; no plain Ice with wss
    assert {p["containerPort"] for p in server["portMappings"]} == {4064, 4066, 4067}
    assert server["logConfiguration"]["options"]["awslogs-region"] == "us-west-2"
    # judged healthy by Glacier2's port and Blitz's answer, with a grace for a schema upgrade (see test_server_start)
    assert server["healthCheck"]["command"][:3] == ["CMD", "/bin/bash", "-c"]
    assert "/dev/tcp/localhost/4064" in server["healthCheck"]["command"][3]
    assert "/opt/omero/server/venv3/bin/omero admin status" in server["healthCheck"]["command"][3]
    assert server["healthCheck"]["startPeriod"] == 300
    # the server's own log files follow the image's output to CloudWatch, then its start steps run
    # under a shell that stops OMERO with omero admin stop on SIGTERM, within the stop timeout
    assert server["entryPoint"] == ["/bin/bash", "-c"]
    [command] = server["command"]
    assert "tail -n 0 -F /opt/omero/server/OMERO.server/var/log/Blitz-0.log" in command
    assert "trap stop_server TERM" in command and "admin stop --wait 90" in command
    assert "for f in /startup/*" in command and "entrypoint.sh" not in command
    assert server["stopTimeout"] == 120
    definition = task(synth, "-omero-server")
    assert definition["requires_compatibilities"] == ["FARGATE"] and definition["network_mode"] == "awsvpc"
    assert (definition["cpu"], definition["memory"]) == ("4096", "16384")
    volume, staged = definition["volume"]  # /OMERO, and the task's own volume of staged files
    assert staged == {"name": "omero-server-extras"}  # no host path: gone with the task
    efs = volume["efs_volume_configuration"]
    assert efs["transit_encryption"] == "ENABLED" and efs["authorization_config"]["iam"] == "ENABLED"
    assert "access_point" in efs["authorization_config"]["access_point_id"]


def test_server_task_role_is_scoped_to_the_access_point(examples):
    statements = policy_statements(examples["tls-rw"], "server_roles_task_document")
    [efs] = [s for s in statements if any(a.startswith("elasticfilesystem:") for a in s["actions"])]
    assert sorted(efs["actions"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert "file_system_arn" in efs["resources"][0] or "efs_file_system" in efs["resources"][0]
    [condition] = efs["condition"]
    assert condition["variable"] == "elasticfilesystem:AccessPointArn"
    assert "ClientRootAccess" not in json.dumps(statements)
    exec_channels = [s for s in statements if "ssmmessages:OpenDataChannel" in s["actions"]]
    assert exec_channels and exec_channels[0]["resources"] == ["*"]


def test_execution_role_reads_only_its_own_secrets(examples):
    synth = examples["tls-rw"]
    server = policy_statements(synth, "server_roles_execution_document")
    [secrets] = [s for s in server if s["actions"] == ["secretsmanager:GetSecretValue"]]
    assert len(secrets["resources"]) == 2  # database password and root password
    web = policy_statements(synth, "web_roles_execution_document")
    [secret] = [s for s in web if s["actions"] == ["secretsmanager:GetSecretValue"]]
    key, caches = secret["resources"]  # the Django secret key and omero.web.caches, not the store's token
    assert key.startswith("${aws_secretsmanager_secret.web_secret_key_secret_")
    assert caches.startswith("${aws_secretsmanager_secret.session_store_caches_")
    assert not any("ecr:" in a for s in server + web for a in s["actions"])  # Docker Hub images


def test_read_only_servers(examples):
    synth = examples["tls-rw-ro"]
    # one service, one task and one Cloud Map name per read-only server
    for index in (1, 2):
        read_only = services(synth)[f"omero-server-ro-{index}"]
        assert read_only["desired_count"] == 1
        assert (read_only["deployment_maximum_percent"], read_only["deployment_minimum_healthy_percent"]) == (100, 0)
    assert "omero-server-ro-3" not in services(synth)
    server = container(synth, "-omero-server-ro-1")
    env = environment(server)
    assert env["CONFIG_omero_cluster_read__only_db"] == "true"
    assert env["CONFIG_omero_cluster_read__only_repo"] == "true"
    assert "CONFIG_omero_cluster_read__only" not in env  # the deprecated switch
    assert env["CONFIG_omero_pixeldata_memoizer_dir_local"] == "/tmp/BioFormatsCache"
    assert server["mountPoints"][0]["readOnly"] is True
    # no root password; the LDAP bind password of server.secret_properties
    assert [s["name"] for s in server["secrets"]] == ["CONFIG_omero_db_pass", "CONFIG_omero_ldap_password"]
    # waits for the read-write server's schema, then runs the image's own entry point
    assert "dbpatch" in server["command"][0]
    # ... then the image's config and run steps, never its database step (omego db upgrade / init),
    # with the certificate on local disk (/OMERO is read-only here), stopped by omero admin stop
    read_only_steps = (
        "config set omero.glacier2.IceSSL.DefaultDir /tmp/omero-certs && /startup/50-config.py && exec /startup/99-run.sh"
    )
    assert read_only_steps in server["command"][0]
    assert "trap stop_server TERM" in server["command"][0]
    assert "60-database" not in server["command"][0] and "entrypoint.sh" not in server["command"][0]
    statements = policy_statements(synth, "read_only_server_1_roles_task_document")
    efs = [a for s in statements for a in s["actions"] if a.startswith("elasticfilesystem:")]
    assert efs == ["elasticfilesystem:ClientMount"]  # the file system refuses its writes


def test_web_server_list_names_servers_by_cloud_map(examples):
    # with the read-only pool, the main OMERO.web offers the read-write server alone ...
    web = environment(container(examples["tls-rw-ro"], "-omero-web"))
    assert json.loads(web["CONFIG_omero_web_server__list"]) == [["omero-server.omero-prod.internal", 4064, "omero"]]
    # ... and the pool only the read-only ones, each by its own name
    pool = environment(container(examples["tls-rw-ro"], "-omero-web-ro"))
    assert json.loads(pool["CONFIG_omero_web_server__list"]) == [
        ["omero-server-ro-1.omero-prod.internal", 4064, "omero-read-only-1"],
        ["omero-server-ro-2.omero-prod.internal", 4064, "omero-read-only-2"],
    ]
    names = {s["name"] for s in examples["tls-rw-ro"].resources("services", "aws_service_discovery_service").values()}
    assert names == {"omero-server", "omero-server-ro-1", "omero-server-ro-2"}
    [namespace] = examples["tls-rw-ro"].resources("services", "aws_service_discovery_private_dns_namespace").values()
    assert namespace["name"] == "omero-prod.internal"


def test_web_behind_tls_trusts_the_proxy(examples):
    env = environment(container(examples["tls-rw"], "-omero-web"))
    assert json.loads(env["CONFIG_omero_web_secure__proxy__ssl__header"]) == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert env["CONFIG_omero_web_session__cookie__secure"] == "true"
    assert env["CONFIG_omero_web_csrf__cookie__secure"] == "true"
    assert json.loads(env["CONFIG_omero_web_csrf__trusted__origins"]) == ["https://omero.example.org"]
    plain = environment(container(examples["quickstart-http"], "-omero-web"))
    assert "CONFIG_omero_web_session__cookie__secure" not in plain  # cookies must work over HTTP


def test_web_scales_on_requests_and_cpu_and_spreads_over_zones(examples):
    synth = examples["tls-rw"]
    web = services(synth)["omero-web"]
    assert web["desired_count"] == 2 and web["launch_type"] == "FARGATE"
    assert web["lifecycle"]["ignore_changes"] == ["desired_count"]
    assert web["availability_zone_rebalancing"] == "ENABLED"
    assert len(web["network_configuration"]["subnets"]) >= 1  # the private subnets from the network stack
    target = one(synth.resources("services", "aws_appautoscaling_target"))
    assert (target["min_capacity"], target["max_capacity"]) == (2, 6)
    policies = {
        p["name"]: p["target_tracking_scaling_policy_configuration"]
        for p in synth.resources("services", "aws_appautoscaling_policy").values()
    }
    assert set(policies) == {"omero-tls-omero-web-requests", "omero-tls-omero-web-cpu"}
    cpu = policies["omero-tls-omero-web-cpu"]
    assert cpu["predefined_metric_specification"]["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"
    assert cpu["target_value"] == 60 and "resource_label" not in cpu["predefined_metric_specification"]
    requests = policies["omero-tls-omero-web-requests"]
    metric = requests["predefined_metric_specification"]
    assert metric["predefined_metric_type"] == "ALBRequestCountPerTarget" and requests["target_value"] == 1000
    # "app/<lb name>/<id>/targetgroup/<tg name>/<id>": the two ARN suffixes joined by "/"
    load_balancer, target_group = metric["resource_label"].split("}/${")
    assert load_balancer.startswith("${aws_lb.web_load_balancer_") and load_balancer.endswith(".arn_suffix")
    assert target_group.startswith("aws_lb_target_group.web_load_balancer_target_group_")
    assert target_group.endswith(".arn_suffix}")


def test_alb_over_http(examples):
    synth = examples["quickstart-http"]
    alb = one(synth.resources("services", "aws_lb"))
    assert alb["internal"] is False and alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] is True
    assert alb["access_logs"]["enabled"] is True
    [listener] = synth.resources("services", "aws_lb_listener").values()
    assert listener["port"] == 80 and listener["default_action"][0]["type"] == "forward"
    group = one(synth.resources("services", "aws_lb_target_group"))
    assert (group["port"], group["target_type"]) == (4080, "ip")
    assert group["health_check"]["path"] == "/api/" and group["health_check"]["matcher"] == "200"
    assert group["stickiness"]["type"] == "lb_cookie" and group["stickiness"]["enabled"] is True
    assert not synth.resources("services", "aws_acm_certificate")
    assert synth.stack("services")["output"]["web_url"]["value"].startswith("http://${aws_lb.")


def test_alb_with_tls(examples):
    synth = examples["tls-rw"]
    listeners = {listener["port"]: listener for listener in synth.resources("services", "aws_lb_listener").values()}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert "aws_acm_certificate_validation" in listeners[443]["certificate_arn"]
    redirect = listeners[80]["default_action"][0]
    assert redirect["type"] == "redirect" and redirect["redirect"]["protocol"] == "HTTPS"
    assert redirect["redirect"]["status_code"] == "HTTP_301"
    certificate = one(synth.resources("services", "aws_acm_certificate"))
    assert certificate["domain_name"] == "omero.example.org" and certificate["validation_method"] == "DNS"
    records = {r["type"]: r for r in synth.resources("services", "aws_route53_record").values()}
    assert records["A"]["alias"]["name"].startswith("${aws_lb.") and records["A"]["zone_id"] == "Z0123456789ABCDEFGHIJ"
    assert "resource_record_name" in json.dumps(records)  # the DNS validation record
    assert synth.stack("services")["output"]["web_url"]["value"] == "https://omero.example.org"


def test_access_log_bucket(examples):
    synth = examples["tls-rw"]
    bucket = one(synth.resources("services", "aws_s3_bucket"))
    assert bucket["bucket_prefix"] == "omero-tls-omero-alb-logs-" and bucket["force_destroy"] is False
    block = one(synth.resources("services", "aws_s3_bucket_public_access_block"))
    assert all(block[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    rule = one(synth.resources("services", "aws_s3_bucket_lifecycle_configuration"))["rule"][0]
    assert rule["expiration"][0]["days"] == 90
    statements = {s.get("sid"): s for s in policy_statements(synth, "access_logs_policy_document")}
    # us-west-2 delivers from the regional ELB account
    assert statements["ElbLogDelivery"]["principals"][0]["identifiers"] == [
        "arn:${data.aws_partition.partition.partition}:iam::797873946194:root"
    ]
    assert {"DenyInsecureTransport", "DenyOutdatedTLS"} <= set(statements)


def ingress(synth) -> list[dict]:
    return list(synth.resources("services", "aws_vpc_security_group_ingress_rule").values())


@pytest.mark.parametrize("example", EXAMPLES)
def test_only_load_balancers_take_traffic_from_networks(examples, example):
    synth = examples[example]
    deployment = synth.deployment
    for rule in ingress(synth):
        if "cidr_ipv4" in rule:
            assert "omero_alb" in rule["security_group_id"] or "omero_nlb" in rule["security_group_id"], rule
            if rule["from_port"] in (4063, 4064):
                assert rule["cidr_ipv4"] in deployment.server_load_balancer.allowed_cidrs
            else:
                assert rule["from_port"] in (80, 443) and rule["cidr_ipv4"] in deployment.load_balancer.allowed_cidrs
        else:
            assert "referenced_security_group_id" in rule
    ports = {r["from_port"] for r in ingress(synth) if "cidr_ipv4" in r and "omero_alb" in r["security_group_id"]}
    assert ports == ({80, 443} if deployment.load_balancer.tls else {80})


def test_database_and_efs_only_from_servers(examples):
    synth = examples["tls-rw"]
    into_storage = [r for r in ingress(synth) if "terraform_remote_state" in r["security_group_id"]]
    assert sorted(r["from_port"] for r in into_storage) == [2049, 5432]
    assert all("omero_server" in r["referenced_security_group_id"] for r in into_storage)


def test_server_load_balancer(examples):
    synth = examples["tls-rw-nlb"]
    balancers = {b["load_balancer_type"]: b for b in synth.resources("services", "aws_lb").values()}
    nlb = balancers["network"]
    assert nlb["internal"] is False and nlb["security_groups"]
    [listener] = [
        candidate for candidate in synth.resources("services", "aws_lb_listener").values() if candidate["protocol"] == "TCP"
    ]
    assert listener["port"] == 4064  # 4063 only when asked for
    server = services(synth)["omero-server"]
    # the NLB on 4064, and the HTTPS load balancer's /omero-ws on 4066
    assert [(b["container_port"], b["container_name"]) for b in server["load_balancer"]] == [
        (4064, "omero-server"),
        (4066, "omero-server"),
    ]
    assert server["health_check_grace_period_seconds"] >= 1800  # schema upgrades on start
    assert any("aws_lb_listener" in d for d in server["depends_on"])
    nlb_rules = [r for r in ingress(synth) if "omero_nlb" in r["security_group_id"]]
    assert {r["cidr_ipv4"] for r in nlb_rules} == {"203.0.113.0/24"}
    assert "server_load_balancer_dns_name" in synth.stack("services")["output"]
    assert not [b for b in examples["tls-rw"].resources("services", "aws_lb").values() if b["load_balancer_type"] == "network"]


def test_ec2_launch_type(examples):
    synth = examples["ec2-launch-type"]
    template = one(synth.resources("services", "aws_launch_template"))
    assert template["metadata_options"]["http_tokens"] == "required"
    assert template["metadata_options"]["http_put_response_hop_limit"] == 1
    [device] = template["block_device_mappings"]
    assert device["ebs"]["encrypted"] == "true" and device["ebs"]["volume_size"] == 100
    assert template["instance_type"] == "m6i.2xlarge"
    assert "key_name" not in template and "network_interfaces" not in template  # no SSH key, no public IP
    assert "aws_ssm_parameter" in template["image_id"]
    [parameter] = synth.data("services", "aws_ssm_parameter").values()
    assert parameter["name"] == "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    group = one(synth.resources("services", "aws_autoscaling_group"))
    assert (group["min_size"], group["max_size"]) == (1, 2)
    # A scale-in never terminates an instance that runs a task (the read-write server's host).
    assert group["protect_from_scale_in"] is True and group["force_delete"] is True
    provider = one(synth.resources("services", "aws_ecs_capacity_provider"))
    assert provider["auto_scaling_group_provider"]["managed_scaling"]["status"] == "ENABLED"
    assert provider["auto_scaling_group_provider"]["managed_termination_protection"] == "ENABLED"
    server = services(synth)["omero-server"]
    # New AMIs roll onto the hosts: a launch-template version starts an instance refresh, one host
    # at a time (a new one up before an old one goes), protected hosts included; ECS drains each
    # host first, and the read-write server (max 100 %, min 0 %) stops before it starts elsewhere.
    assert "latest_version" in group["launch_template"]["version"]  # "$Latest" would never start a refresh
    refresh = group["instance_refresh"]
    assert refresh["strategy"] == "Rolling" and "triggers" not in refresh  # the template alone triggers it
    preferences = refresh["preferences"]
    assert (preferences["min_healthy_percentage"], preferences["max_healthy_percentage"]) == (100, 200)
    assert preferences["scale_in_protected_instances"] == "Refresh"
    assert provider["auto_scaling_group_provider"]["managed_draining"] == "ENABLED"
    assert (server["deployment_maximum_percent"], server["deployment_minimum_healthy_percent"]) == (100, 0)
    assert "launch_type" not in server
    assert "aws_ecs_capacity_provider" in server["capacity_provider_strategy"][0]["capacity_provider"]
    assert task(synth, "-omero-server")["requires_compatibilities"] == ["EC2"]
    assert services(synth)["omero-web"]["launch_type"] == "FARGATE"
    assert task(synth, "-omero-web")["requires_compatibilities"] == ["FARGATE"]


def test_cluster_insights_and_audited_exec(examples):
    synth = examples["tls-rw-ro"]
    cluster = one(synth.resources("services", "aws_ecs_cluster"))
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enhanced"}]
    exec_config = cluster["configuration"]["execute_command_configuration"]
    assert exec_config["logging"] == "OVERRIDE"
    assert "aws_cloudwatch_log_group" in exec_config["log_configuration"]["cloud_watch_log_group_name"]
    groups = {g["name"]: g for g in synth.resources("services", "aws_cloudwatch_log_group").values()}
    assert set(groups) == {
        f"/omero/omero-prod/{n}"
        for n in ("ecs-exec", "omero-server", "omero-server-ro-1", "omero-server-ro-2", "omero-web", "omero-web-ro")
    }
    assert all(g["retention_in_days"] == 731 for g in groups.values())


def test_services_outputs(examples):
    outputs = examples["tls-rw-ro"].stack("services")["output"]
    for key in (
        "web_url",
        "web_load_balancer_dns_name",
        "cluster_name",
        "server_service_name",
        "server_dns_name",
        "read_only_service_names",
        "read_only_dns_names",
        "web_service_name",
        "efs_id",
        "efs_access_point_id",
        "db_address",
        "db_password_secret_arn",
        "root_password_secret_arn",
        "exec_command",
    ):
        assert key in outputs and outputs[key]["description"], key
    command = outputs["exec_command"]["value"]
    assert command.startswith("aws ecs execute-command --region us-east-1 --cluster ${aws_ecs_cluster.")
    assert "--container omero-server --interactive" in command
    assert "ephemeral." not in json.dumps(outputs)


@pytest.mark.parametrize("example", EXAMPLES)
def test_web_runs_threaded_workers_that_outlive_the_load_balancer(examples, example):
    synth = examples[example]
    env = environment(container(synth, "-omero-web"))
    # 8 threads a worker: gunicorn runs gthread workers, whose timeout is a heartbeat (OMERO.web's 60 s)
    assert env["CONFIG_omero_web_wsgi__threads"] == "8"
    assert env["CONFIG_omero_web_wsgi__timeout"] == "60"
    # idle connections stay open longer than the load balancer keeps them (no 502 on a reused one)
    idle = synth.deployment.load_balancer.idle_timeout_seconds
    assert env["CONFIG_omero_web_wsgi__args"] == f"--keep-alive {idle + 5}"
    # (2 x vCPUs) + 1 workers, as OMERO.web's deployment guide advises
    vcpus = synth.deployment.web.cpu / 1024
    assert int(env["CONFIG_omero_web_wsgi__workers"]) == int(2 * vcpus) + 1


def test_images_come_through_the_deployment_cache(examples):
    synth = examples["tls-rw-ro"]  # images.docker_hub_secret_arn is set
    [rule] = synth.resources("services", "aws_ecr_pull_through_cache_rule").values()
    assert rule["ecr_repository_prefix"] == "omero-prod-dockerhub"
    assert rule["upstream_registry_url"] == "registry-1.docker.io"
    assert rule["credential_arn"] == synth.deployment.images.docker_hub_secret_arn
    registry = "${data.aws_caller_identity.account.account_id}.dkr.ecr.us-east-1.${data.aws_partition.partition.dns_suffix}"
    prefix = "${aws_ecr_pull_through_cache_rule.image_cache_rule_"  # the rule's attribute: its tasks wait for it
    for family, image in (
        ("-omero-server", SERVER_IMAGE),
        ("-omero-server-ro-1", SERVER_IMAGE),
        ("-omero-web", WEB_IMAGE),
        ("-omero-web-ro", WEB_IMAGE),
    ):
        pulled = container(synth, family)["image"]
        assert pulled.startswith(f"{registry}/{prefix}") and pulled.endswith(f".ecr_repository_prefix}}/{image}"), pulled
    documents = synth.data("services", "aws_iam_policy_document")
    for role in ("server_roles", "read_only_server_1_roles", "web_roles", "read_only_web_roles"):
        statements = [
            s for key, doc in documents.items() if key.startswith(f"{role}_execution_document") for s in doc["statement"]
        ]
        [pull] = [s for s in statements if "ecr:BatchGetImage" in s["actions"]]
        # a first pull of a tag creates its repository and imports the image, with the task's role
        assert sorted(pull["actions"]) == [
            "ecr:BatchGetImage",
            "ecr:BatchImportUpstreamImage",
            "ecr:CreateRepository",
            "ecr:GetDownloadUrlForLayer",
        ]
        [repositories] = pull["resources"]
        assert repositories.startswith("arn:${data.aws_partition.partition.partition}:ecr:us-east-1:")
        assert repositories.endswith(".ecr_repository_prefix}/*")
        [login] = [s for s in statements if s["actions"] == ["ecr:GetAuthorizationToken"]]
        assert login["resources"] == ["*"]  # no resource-level permissions for the registry login


def test_without_a_cache_images_come_from_docker_hub(examples):
    synth = examples["tls-rw"]
    assert not synth.resources("services", "aws_ecr_pull_through_cache_rule")
    assert container(synth, "-omero-web")["image"] == WEB_IMAGE


def test_cached_image_names():
    from config.images import cached_image, from_docker_hub

    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert cached_image("openmicroscopy/omero-server:5.6.18", registry, "p") == f"{registry}/p/openmicroscopy/omero-server:5.6.18"
    assert cached_image("postgres:17", registry, "p") == f"{registry}/p/library/postgres:17"  # official images
    assert cached_image("redis@sha256:" + "a" * 64, registry, "p") == f"{registry}/p/library/redis@sha256:" + "a" * 64
    assert cached_image("localhost:5000/omero", registry, "p") == "localhost:5000/omero"
    assert cached_image(f"{registry}/mine/omero-server:1", registry, "p") == f"{registry}/mine/omero-server:1"
    assert cached_image("ghcr.io/ome/omero-server:5.6.18", registry, "p") == "ghcr.io/ome/omero-server:5.6.18"
    assert cached_image("docker.io/library/postgres:17", registry, "p") == f"{registry}/p/library/postgres:17"
    assert from_docker_hub("docker.io/openmicroscopy/omero-web") and not from_docker_hub("quay.io/x/y")
