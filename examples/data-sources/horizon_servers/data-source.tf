data "horizon_servers" "all" {}

# Grant a reader role on every server the provider's key can see.
resource "horizon_service_account" "auditor" {
  name = "auditor"
  role = "viewer"
}

resource "horizon_server_grant" "auditor" {
  for_each = { for s in data.horizon_servers.all.servers : s.slug => s.id }

  service_account_id = horizon_service_account.auditor.id
  server_id          = each.value
  role               = "viewer"
}
