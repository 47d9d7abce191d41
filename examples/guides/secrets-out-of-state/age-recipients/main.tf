terraform {
  required_providers {
    horizon = { source = "horizonhq/horizon" }
  }
}

variable "age_recipients" {
  description = "Public keys that may read the secret: age recipients (age1...) or SSH public keys."
  type        = set(string)
}

resource "horizon_service_account" "deployer" {
  name = "ci-deployer"
}

# The secret is encrypted to the recipients before anything is stored:
# secret stays null, and encrypted_secret holds age ciphertext.
resource "horizon_service_account_key" "deployer" {
  service_account_id = horizon_service_account.deployer.id
  name               = "primary"
  age_recipients     = var.age_recipients
}

# Ciphertext is safe to output. To read the secret:
#   terraform output -raw deployer_encrypted_secret | age -d -i ~/.config/age/key.txt
output "deployer_encrypted_secret" {
  value = horizon_service_account_key.deployer.encrypted_secret
}
