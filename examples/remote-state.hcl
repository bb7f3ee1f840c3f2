# State in S3: the bootstrap stack (omero-prod-state, local state) creates the bucket; every
# other stack keeps its state at omero/omero-prod/<stack>.tfstate in it, with S3-native locking.
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
