# OMERO's binary repository on S3 through an S3 File Gateway (the sample's
# OMERO2LBstackTLS_RW_StorageGateway topology, here over plain HTTP as in quickstart-http.hcl):
# /OMERO is an NFS share of a gateway appliance on EC2 that keeps a bucket behind it, instead of
# EFS. OMERO.server runs on EC2 container instances, which mount the share for it; OMERO.web
# stays on Fargate. Terraform activates the gateway through its private IP, so it must run from
# inside the VPC or a network routed to it (activation_cidrs). Plain HTTP sends OMERO passwords
# in clear: use it to try the topology out, and s3-file-gateway-tls.hcl for anything real.
name   = "omero-s3fg"
region = "eu-west-1"

network {
  vpc_cidr     = "10.30.0.0/16"
  nat_gateways = "single"
}

cluster {
  launch_type = "ec2"
}

file_gateway {
  enabled = true
  role    = "repository"
  # Where Terraform runs: a CI runner or bastion inside the VPC, or an office network on a VPN.
  activation_cidrs = ["10.30.0.0/16"]
}
