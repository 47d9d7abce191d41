resource "horizon_service_account" "agent" {
  name = "agent"
}

resource "horizon_service_account_key" "agent" {
  service_account_id = horizon_service_account.agent.id
  name               = "agent"
  age_recipients     = ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]
}

# The identity comes from HORIZON_AGE_IDENTITY; the plaintext secret exists
# only for the length of the Terraform run.
ephemeral "horizon_api_key_secret" "agent" {
  encrypted_secret = horizon_service_account_key.agent.encrypted_secret
}

provider "horizon" {
  alias   = "as_agent"
  api_key = ephemeral.horizon_api_key_secret.agent.secret
}
