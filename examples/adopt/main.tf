# The configuration the query runs with: the provider, and nothing else yet.
# terraform query (Terraform 1.14+) -generate-config-out=generated.tf writes
# the resources and their import blocks next to it.
terraform {
  required_providers {
    horizon = { source = "horizonhq/horizon" }
  }
}

provider "horizon" {} # HORIZON_ENDPOINT and HORIZON_API_KEY from the environment
