# The deployment synthesized when OMERO_CONFIG is not set: a new VPC across two availability
# zones and local Terraform state. It needs no AWS account to synthesize or validate.
name   = "omero"
region = "us-east-1"
