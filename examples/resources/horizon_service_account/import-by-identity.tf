import {
  to = horizon_service_account.deployer
  identity = {
    id = "sa_5t7y2u4i3o5pabcd"
  }
}
