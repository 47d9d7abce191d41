# The demo behind `make demo`: a CI deployer service account that may call the
# tools of the weather server and nothing else, and its API key.
# The provider reads HORIZON_ENDPOINT and HORIZON_API_KEY, which `make demo`
# takes from the reference server it starts.

terraform {
  required_providers {
    horizon = {
      source = "horizonhq/horizon"
    }
  }
}

provider "horizon" {}

data "horizon_current_actor" "me" {}

data "horizon_server" "weather" {
  slug = "weather"
}

resource "horizon_service_account" "deployer" {
  name        = "ci-deployer"
  description = "Deploys services from CI"
  role        = "member"
}

resource "horizon_server_grant" "deployer_weather" {
  service_account_id = horizon_service_account.deployer.id
  server_id          = data.horizon_server.weather.id
  role               = "user"
  capabilities       = ["tools"]
}

resource "horizon_service_account_key" "deployer" {
  service_account_id = horizon_service_account.deployer.id
  name               = "primary"
  ttl                = "720h"
  renew_before       = "168h"

  # Rotation path: the replacement exists before the old key is revoked.
  lifecycle {
    create_before_destroy = true
  }
}

output "applied_by" {
  description = "Who Terraform acted as."
  value       = "${data.horizon_current_actor.me.name} (${data.horizon_current_actor.me.role} of ${data.horizon_current_actor.me.organization_name})"
}

output "service_account_id" {
  value = horizon_service_account.deployer.id
}

output "weather_mcp_url" {
  value = data.horizon_server.weather.url
}

output "key_expires_at" {
  value = horizon_service_account_key.deployer.expires_at
}

output "key_id" {
  value = horizon_service_account_key.deployer.id
}

output "key_masked_secret" {
  description = "Safe to show; the secret itself is sensitive and only in the state."
  value       = horizon_service_account_key.deployer.masked_secret
}

output "key_secret" {
  value     = horizon_service_account_key.deployer.secret
  sensitive = true
}
