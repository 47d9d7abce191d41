# Everything an organization holds that Terraform manages: its servers, its
# service accounts and, for each account, its active keys and its grants.
# Run: terraform query -generate-config-out=generated.tf
#
# Terraform takes at most 100 results from a list block unless its limit says
# otherwise; an account has at most two active keys.

list "horizon_server" "all" {
  provider = horizon
  limit    = 1000
}

list "horizon_service_account" "all" {
  provider = horizon
  limit    = 1000
}

locals {
  # The accounts found above, by id: the key and grant lists run once for each.
  service_accounts = { for sa in list.horizon_service_account.all.data : sa.identity.id => sa.display_name }
}

list "horizon_service_account_key" "all" {
  provider = horizon
  for_each = local.service_accounts
  config {
    service_account_id = each.key
  }
}

list "horizon_server_grant" "all" {
  provider = horizon
  limit    = 1000
  for_each = local.service_accounts
  config {
    service_account_id = each.key
  }
}
