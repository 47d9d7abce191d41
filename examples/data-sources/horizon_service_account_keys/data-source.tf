data "horizon_service_account" "deployer" {
  name = "ci-deployer"
}

# The keys that authenticate now; leave status out to list revoked and expired keys too.
data "horizon_service_account_keys" "deployer" {
  service_account_id = data.horizon_service_account.deployer.id
  status             = "active"
}

# Before revoking an old key, check that traffic has moved to the new one.
output "deployer_keys" {
  value = [for k in data.horizon_service_account_keys.deployer.keys : "${k.name} last used ${coalesce(k.last_used_at, "never")}"]
}
