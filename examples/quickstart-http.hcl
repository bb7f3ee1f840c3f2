# Quick start: one read-write OMERO.server, two OMERO.web tasks behind an HTTP load balancer, in
# a new VPC across two availability zones with a single NAT gateway (cheaper; one AZ's outage cuts
# the other's egress). State stays in local files. Plain HTTP sends OMERO passwords in clear:
# use it to try OMERO out, and tls-rw.hcl for anything real.
name   = "omero-quick"
region = "eu-west-1"

tags = {
  owner = "imaging-facility"
}

network {
  vpc_cidr     = "10.20.0.0/16"
  nat_gateways = "single"
}
