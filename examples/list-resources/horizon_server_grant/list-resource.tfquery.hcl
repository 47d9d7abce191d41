# The server grants of one service account, with their role and capabilities.
list "horizon_server_grant" "deployer" {
  provider         = horizon
  include_resource = true
  config {
    service_account_id = "sa_5t7y2u4i3o5pabcd"
  }
}
