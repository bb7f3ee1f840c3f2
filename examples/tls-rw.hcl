# One read-write OMERO.server and OMERO.web on https://omero.example.org: an ACM certificate
# validated in the Route 53 zone, an HTTPS listener (TLS 1.2/1.3), HTTP redirected to HTTPS.
name   = "omero-tls"
region = "us-west-2"

load_balancer {
  domain_name    = "omero.example.org"
  hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  # Only the facility's networks reach OMERO.web.
  allowed_cidrs = ["192.0.2.0/24", "198.51.100.0/24"]
}

server {
  cpu    = 4096
  memory = 16384
  # omero.db.poolsize of Blitz, the Indexer and PixelData (unset: 50, or what the database allows)
  db_pool_size = 25
}

web {
  min_tasks = 2
  max_tasks = 6
}
