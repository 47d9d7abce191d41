import {
  to = horizon_server.billing
  identity = {
    id = "srv_2q3w5e7r6t4yabcd"
  }
}
