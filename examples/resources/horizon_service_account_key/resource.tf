resource "horizon_service_account" "deployer" {
  name = "ci-deployer"
}

# A key that is rotated by changing a keeper: the replacement is created
# before the old key goes, so nothing that reads the secret sees a gap, and the
# old key keeps working for an hour, for consumers that reload their secret on
# their own schedule.
resource "horizon_service_account_key" "deployer" {
  service_account_id = horizon_service_account.deployer.id
  name               = "primary"
  grace_period       = "1h"

  keepers = {
    rotation = "2026-11"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A key that stops working at a fixed time. (An account holds at most two
# active keys; this one belongs to another account.)
resource "horizon_service_account" "responder" {
  name = "incident-responder"
}

resource "horizon_service_account_key" "temporary" {
  service_account_id = horizon_service_account.responder.id
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

# A key that renews itself: valid for 30 days, replaced by the first plan made in
# its last 7 days (by Horizon's clock), the new key before the old is revoked.
resource "horizon_service_account" "agent" {
  name = "agent"
}

resource "horizon_service_account_key" "rolling" {
  service_account_id = horizon_service_account.agent.id
  name               = "rolling"
  ttl                = "720h"
  renew_before       = "168h"

  lifecycle {
    create_before_destroy = true
  }
}
