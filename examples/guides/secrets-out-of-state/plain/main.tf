terraform {
  required_providers {
    horizon = { source = "horizonhq/horizon" }
  }
}

resource "horizon_service_account" "deployer" {
  name = "ci-deployer"
}

# Without age_recipients the secret is kept in the state, marked sensitive:
# plans and outputs never print it, but anyone who can read the state can.
resource "horizon_service_account_key" "deployer" {
  service_account_id = horizon_service_account.deployer.id
  name               = "primary"
}

output "deployer_secret" {
  value     = horizon_service_account_key.deployer.secret
  sensitive = true
}
