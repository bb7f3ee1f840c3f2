# Smallest useful deployment: a new VPC across two availability zones with a single NAT gateway
# (cheaper; one AZ's outage cuts the other's egress) and Terraform state in local files.
name   = "omero-min"
region = "eu-west-1"

tags = {
  owner = "imaging-facility"
}

network {
  vpc_cidr     = "10.20.0.0/16"
  nat_gateways = "single"
}
