import {
  to = horizon_service_account.deployer
  id = "sa_5t7y9u1i3o5pabcd"
}
