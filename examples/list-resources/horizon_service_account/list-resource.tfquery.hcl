# The service accounts whose names start with "ci-".
list "horizon_service_account" "ci" {
  provider = horizon
  config {
    name_prefix = "ci-"
  }
}
