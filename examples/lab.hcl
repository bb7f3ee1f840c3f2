# Lab: the least a facility can pay to try OMERO on AWS (`pipenv run cost --config examples/lab.hcl`).
# One small read-write OMERO.server and the fewest OMERO.web tasks behind an HTTP load balancer, in
# a new VPC across two availability zones with a single NAT gateway, no session store (sessions on
# each web task's disk, sticky), no interface endpoints, Container Insights' standard level and the
# smallest database class. Backups stay on, and logs are kept a year (the security baseline
# checkov holds every example to: CKV_AWS_338; stored logs cost little beside the rest). Plain HTTP
# sends OMERO passwords in clear: a trial with test data only; for anything real start from
# tls-rw.hcl.
name   = "omero-lab"
region = "eu-west-1"

tags = {
  owner       = "imaging-facility"
  environment = "lab"
}

network {
  vpc_cidr     = "10.30.0.0/16"
  nat_gateways = "single" # one NAT gateway for both zones (one AZ's outage cuts the other's egress)
  # No interface endpoints: AWS API calls go through the NAT gateway (each endpoint service costs
  # an hourly fee per AZ: AWS PrivateLink pricing).
  interface_endpoints = []
}

cluster {
  # Standard Container Insights (about half the metrics of "enhanced"); "disabled" would save those
  # too, but checkov's baseline wants it on for every cluster (CKV_AWS_65).
  container_insights = "enabled"
}

server {
  # 1 vCPU and 4 GiB, the smallest Fargate pair here that leaves the JVMs room (cpu = 1024 allows
  # 2048-8192 MiB: Amazon ECS Developer Guide, "Task CPU and memory"). OMERO's system requirements
  # suggest 8 GB for 25-50 users (ome/omero-documentation omero/sysadmins/system-requirements.rst);
  # a trial by a few users fits in half of it.
  cpu    = 1024
  memory = 4096
}

web {
  # 0.5 vCPU and 1 GiB each (cpu = 512 allows 1024-4096 MiB on Fargate), two gunicorn workers.
  cpu       = 512
  memory    = 1024
  workers   = 2
  min_tasks = 2 # the fewest allowed: one per AZ
  max_tasks = 2
  session_store {
    enabled = false
  }
}

database {
  instance_class       = "db.t4g.micro"
  allocated_storage_gb = 20 # the smallest gp3 volume RDS allows for PostgreSQL
}
