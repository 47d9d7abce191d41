terraform {
  required_version = ">= 1.10"
  required_providers {
    horizon = { source = "horizonhq/horizon" }
  }
}

variable "age_recipient" {
  description = "The age recipient (age1...) of the identity in HORIZON_AGE_IDENTITY."
  type        = string
}

resource "horizon_service_account" "agent" {
  name = "agent"
}

resource "horizon_service_account_key" "agent" {
  service_account_id = horizon_service_account.agent.id
  name               = "agent"
  age_recipients     = [var.age_recipient]
}

# Decrypted on this machine with the identity in HORIZON_AGE_IDENTITY; the
# plaintext is never written to a plan or a state.
ephemeral "horizon_api_key_secret" "agent" {
  encrypted_secret = horizon_service_account_key.agent.encrypted_secret
}

# A second horizon provider that acts as the service account. A provider must
# be configured to plan, so create the key first:
#   terraform apply -target=horizon_service_account_key.agent && terraform apply

provider "horizon" {
  alias   = "as_agent"
  api_key = ephemeral.horizon_api_key_secret.agent.secret
}

data "horizon_current_actor" "agent" {
  provider = horizon.as_agent
}

output "agent_role" {
  value = data.horizon_current_actor.agent.role
}
