# Production: a read-write OMERO.server plus two read-only ones that a second OMERO.web serves to
# viewers on view.omero.example.org (anonymous browsing as a public user, like the IDR), TLS on
# omero.example.org, three AZs with a NAT gateway each, a Multi-AZ database, and state
# in S3. The bootstrap stack (omero-prod-state, local state) creates the bucket; every other
# stack keeps its state at omero/omero-prod/<stack>.tfstate in it, with S3-native locking.
name   = "omero-prod"
region = "us-east-1"

tags = {
  environment = "production"
  cost-center = "4711"
}

network {
  vpc_cidr           = "10.192.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
  nat_gateways       = "one_per_az"
}

state {
  bucket                  = "omero-prod-terraform-state-example"
  prefix                  = "omero"
  noncurrent_version_days = 180
}

database {
  multi_az              = true
  instance_class        = "db.m7g.large"
  backup_retention_days = 14
}

cluster {
  log_retention_days = 731
}

# Images through an ECR pull-through cache of Docker Hub: no anonymous pulls (10 an hour per IP).
# The secret is made once per account and region (docs: "Images without anonymous pulls").
images {
  docker_hub_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/omero-prod-Xy12Ab"
}

server {
  cpu              = 4096
  memory           = 16384
  read_only_count  = 2
  read_only_cpu    = 2048
  read_only_memory = 8192

  # Logins through the institution's directory, over LDAP with TLS (docs/ldap-mail-tuning.md). The
  # bind password never enters the task definition: ECS reads it from Secrets Manager at start
  # (a JSON secret's "password" key), and only the servers' execution roles may read that secret.
  properties = {
    "omero.ldap.config"         = "true"
    "omero.ldap.urls"           = "ldaps://ldap.example.org:636"
    "omero.ldap.username"       = "cn=omero-bind,ou=services,dc=example,dc=org"
    "omero.ldap.base"           = "ou=people,dc=example,dc=org"
    "omero.ldap.user_filter"    = "(objectClass=person)"
    "omero.ldap.new_user_group" = "imaging"
  }
  secret_properties = {
    "omero.ldap.password" = "arn:aws:secretsmanager:us-east-1:123456789012:secret:omero-prod/ldap-bind-Ab12Cd:password::"
  }
  # The directory's servers, the only place the OMERO.servers may reach on 636.
  egress = [
    { cidr = "10.50.0.0/28", port = 636 },
  ]
}

web {
  cpu       = 2048
  memory    = 4096
  min_tasks = 3
  max_tasks = 9

  # OMERO.web's login page offers servers to pick, it spreads nothing over them: the read-only
  # servers get an OMERO.web of their own on view.omero.example.org, which logs visitors in as the
  # OMERO user "public" (a member of read-only groups only; its password a JSON secret's key).
  read_only_pool {
    enabled = true
    public {
      enabled             = true
      user                = "public"
      password_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:omero-prod/web-public-Cd34Ef:password::"
    }
  }
}

load_balancer {
  domain_name    = "omero.example.org"
  hosted_zone_id = "Z0123456789ABCDEFGHIJ"
}
