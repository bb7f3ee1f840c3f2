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

cluster {
  launch_type = "ec2"

  ec2 {
    instance_type = "m6i.2xlarge"
  }
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
  enabled = false
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
  enabled = true
}

dropbox {
  enabled = true
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
