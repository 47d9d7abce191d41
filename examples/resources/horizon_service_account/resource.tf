resource "horizon_service_account" "deployer" {
  name        = "ci-deployer"
  description = "Deploys services from CI"
  role        = "member"
}
