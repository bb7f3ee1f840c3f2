# Every add-on switched on: an S3 File Gateway holding /OMERO (so OMERO.server runs on EC2
# container instances), DataSync from a landing bucket, an uploader host, automated import,
# OMERO.insight on AppStream 2.0 and monitoring, on top of a TLS deployment with state in S3.
name   = "omero-full"
region = "eu-central-1"

tags = {
  environment = "production"
}

network {
  nat_gateways = "one_per_az"
}

state {
  bucket = "omero-full-terraform-state-example"
}

# Daily and monthly recovery points of EFS and the database, each copied to Ireland; both vaults are
# locked in governance mode, and their access policies let only the break-glass role delete or
# shorten a recovery point, lift the lock or change the policy.
backup {
  daily_retention_days   = 35
  monthly_retention_days = 365
  copy_region            = "eu-west-1"
  vault_lock             = "governance"
  break_glass_role_arn   = "arn:aws:iam::123456789012:role/omero-full-backup-break-glass"
}

# Production: a standby in a second AZ (the production rules refuse a Single-AZ database without
# database.single_az_waiver).
database {
  multi_az = true
}

cluster {
  launch_type = "ec2"

  ec2 {
    instance_type = "m6i.2xlarge"
  }
}

images {
  docker_hub_secret_arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ecr-pullthroughcache/omero-full-Xy12Ab"
}

server {
  cpu    = 4096
  memory = 16384
}

load_balancer {
  domain_name    = "omero.example.org"
  hosted_zone_id = "Z0123456789ABCDEFGHIJ"
}

server_load_balancer {
  enabled       = true
  allowed_cidrs = ["192.0.2.0/24"]
}

file_gateway {
  enabled = true
  # Beside /OMERO (on EFS, where DataSync and the uploader write): files put in the bucket are
  # imported in place from /s3uploads with omero import --transfer=ln_s.
  role             = "import"
  activation_cidrs = ["10.192.0.0/16"]
}

# OME-Zarr images (NGFF 0.4) read in place from S3: a new bucket, under AWS Backup with the rest;
# the servers install the pinned omero-zarr-pixel-buffer JARs at start and keep up to 1000 Zarr
# groups and arrays cached; the uploader host registers images with omero zarr import.
zarr {
  enabled    = true
  cache_size = 1000
}

# Instruments upload to the landing bucket; every night at 01:00 UTC DataSync copies new files
# into /OMERO/incoming, from where they are imported in place.
datasync {
  enabled               = true
  source_prefix         = "/microscopes"
  destination_path      = "/incoming"
  schedule              = "cron(0 1 * * ? *)"
  excludes              = ["*.tmp", "*.part"]
  bandwidth_limit_mibps = 200
  log_retention_days    = 365
}

uploader {
  enabled       = true
  instance_type = "m6i.large"
  # Raw images wait here before upload import; in-place imports read them from /OMERO.
  root_volume_gb    = 100
  java_package      = "java-17-amazon-corretto-headless"
  omero_py_version  = "5.23.0"
  # The Ice wheel's SHA-256 (curl -sL <ice_wheel_url> | sha256sum, once, from a trusted network):
  # a placeholder here, so pip refuses the wheel until it is the real digest.
  ice_wheel_sha256  = "0000000000000000000000000000000000000000000000000000000000000000"
  read_bucket_names = ["omero-full-microscope-drop"]
  # The drop bucket's objects are encrypted with the facility's key: the host decrypts through S3.
  read_bucket_kms_key_arns = ["arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"]
}

# Imports in place what DataSync delivers to /OMERO/incoming, hourly during the facility's working
# day; each folder becomes a dataset of its name, owned by "importer" in the facility's group.
dropbox {
  enabled           = true
  landing_dir       = "/OMERO/incoming"
  schedule          = "cron(0 7-19 ? * MON-FRI *)"
  schedule_timezone = "Europe/Berlin"
  import_user       = "importer"
  import_group      = "imaging-facility"
  import_args       = ["-T", "regex:^.*/(?<Container1>.*?)"]
  settle_minutes    = 30
}

appstream {
  enabled    = true
  image_name = "OMERO-insight-5.8-example" # built once in an Image Builder (see the README)
  users      = ["imaging-facility@example.org"]
}

monitoring {
  enabled     = true
  alarm_email = "omero-oncall@example.org"
}
