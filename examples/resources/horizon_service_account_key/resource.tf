resource "horizon_service_account" "deployer" {
  name = "ci-deployer"
}

# A key that is rotated by changing a keeper: the replacement is created
# before the old key is revoked, so nothing that reads the secret sees a gap.
resource "horizon_service_account_key" "deployer" {
  service_account_id = horizon_service_account.deployer.id
  name               = "primary"

  keepers = {
    rotation = "2026-11"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A key that stops working at a fixed time.
resource "horizon_service_account_key" "temporary" {
  service_account_id = horizon_service_account.deployer.id
  name               = "incident-4711"
  expires_at         = "2027-01-31T00:00:00Z"
}

output "deployer_key_masked" {
  value = horizon_service_account_key.deployer.masked_secret
}

output "deployer_key_secret" {
  value     = horizon_service_account_key.deployer.secret
  sensitive = true
}
