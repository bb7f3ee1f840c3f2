# OMERO.server on EC2 container instances (ECS-optimized Amazon Linux 2023, IMDSv2 only,
# encrypted root volumes, no SSH: SSM Session Manager and ECS Exec) instead of Fargate, for
# larger or longer-lived servers; OMERO.web stays on Fargate. Plain HTTP, as in quickstart-http.
name   = "omero-ec2"
region = "ap-southeast-2"

network {
  nat_gateways = "single"
}

cluster {
  launch_type = "ec2"

  ec2 {
    instance_type  = "m6i.2xlarge"
    min_instances  = 1
    max_instances  = 2
    root_volume_gb = 100
  }
}

server {
  cpu    = 4096
  memory = 24576
}
