# Deploy into a VPC that already exists (for example one run by a central network team).
# The subnets are looked up at plan time; each must belong to the VPC, or the plan stops.
name   = "omero-shared"
region = "eu-central-1"

network {
  vpc_id             = "vpc-0a1b2c3d4e5f60718"
  public_subnet_ids  = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  private_subnet_ids = ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"]

  flow_logs {
    traffic_type   = "REJECT"
    retention_days = 400
  }
}
