resource "horizon_server" "billing" {
  name        = "Billing"
  slug        = "billing"
  description = "Invoices and payments, for the finance agents"
}

# Grants on the server give service accounts access to its MCP endpoint.
resource "horizon_server_grant" "billing_agent" {
  service_account_id = "sa_5t7y2u4i3o5pabcd"
  server_id          = horizon_server.billing.id
  role               = "user"
  capabilities       = ["tools"]
}

output "billing_mcp_url" {
  value = horizon_server.billing.url
}
