import {
  to = horizon_service_account_key.deployer
  id = "sa_5t7y9u1i3o5pabcd/key_2w4e6r8t0y2uabcd"
}
