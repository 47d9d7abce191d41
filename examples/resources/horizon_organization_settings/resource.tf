# Every member and viewer may discover every server, which plan-only CI keys
# need for the servers a configuration reads; calling a server still takes a
# grant of role user. Destroying this resource restores what the organization
# had before Terraform managed it.
resource "horizon_organization_settings" "this" {
  default_server_role = "viewer"
}
