# An account that another configuration manages.
data "horizon_service_account" "deployer" {
  name = "ci-deployer"
}

output "deployer_role" {
  value = data.horizon_service_account.deployer.role
}
