# TLS for OMERO.web plus a network load balancer that lets OMERO.insight and the OMERO CLI on the
# institute's networks reach the read-write OMERO.server on port 4064 (Ice over TLS).
name   = "omero-insight"
region = "eu-west-2"

load_balancer {
  domain_name    = "omero.example.org"
  hosted_zone_id = "Z0123456789ABCDEFGHIJ"
}

server_load_balancer {
  enabled       = true
  allowed_cidrs = ["203.0.113.0/24"]
}
