terraform {
  required_providers {
    horizon = {
      source = "horizonhq/horizon"
    }
  }
}

variable "horizon_api_key" {
  type      = string
  sensitive = true
}

# endpoint, api_key and organization_id may instead come from
# HORIZON_ENDPOINT, HORIZON_API_KEY and HORIZON_ORGANIZATION_ID.
provider "horizon" {
  endpoint    = "https://horizon.example.com"
  api_key     = var.horizon_api_key
  max_retries = 4
  max_wait    = "5m"
}
