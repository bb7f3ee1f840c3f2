# OMERO.web on https://omero.example.org with a read-write OMERO.server on EC2 that mounts an
# S3 File Gateway share beside /OMERO (the sample's OMEROonECS_RW_TLS_S3FG topology): files put
# in the bucket appear under /s3uploads and are imported in place with
# "omero import --transfer=ln_s /s3uploads/...", while /OMERO itself stays on EFS. (The HTTP
# example shows the other topology, the share holding /OMERO.) The gateway is activated with a
# key fetched by hand from the appliance (see the README), so Terraform need not reach it.
name   = "omero-s3fg-tls"
region = "us-east-1"

load_balancer {
  domain_name    = "omero.example.org"
  hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  allowed_cidrs  = ["192.0.2.0/24"]
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

file_gateway {
  enabled         = true
  role            = "import"
  mount_path      = "/s3uploads"
  cache_volume_gb = 300
  # Example value: the key the appliance hands out on port 80 (valid for 30 minutes).
  activation_key = "ABCDE-12345-FGHIJ-67890-KLMNO"
  timezone       = "GMT-5:00"
}
