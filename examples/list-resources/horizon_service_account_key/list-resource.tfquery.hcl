# The active keys of one service account.
list "horizon_service_account_key" "deployer" {
  provider = horizon
  config {
    service_account_id = "sa_5t7y2u4i3o5pabcd"
  }
}
