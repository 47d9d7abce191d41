import {
  to = horizon_service_account_key.deployer
  id = "sa_5t7y2u4i3o5pabcd/key_2w4e6r7t3y2uabcd"
}
