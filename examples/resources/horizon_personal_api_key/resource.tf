variable "ssh_public_key" {
  description = "The SSH public key (ssh-ed25519 AAAA...) whose private key may read the secret."
  type        = string
}

# A personal key of the user whose API key configures the provider, for that
# person's own tools: it can do what the user can, and no more. Automation
# belongs to a service account (horizon_service_account_key).
resource "horizon_personal_api_key" "laptop" {
  name         = "laptop"
  ttl          = "2160h" # 90 days
  renew_before = "336h"  # renewed by the first plan in its last 14 days
  grace_period = "1h"

  # Only the age ciphertext is kept in the state; decrypt it with
  # `age -d -i ~/.ssh/id_ed25519`.
  age_recipients = [var.ssh_public_key]

  lifecycle {
    create_before_destroy = true
  }
}

output "laptop_key" {
  value = horizon_personal_api_key.laptop.encrypted_secret
}
