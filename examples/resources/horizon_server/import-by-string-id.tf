import {
  to = horizon_server.billing
  id = "srv_2q3w5e7r6t4yabcd"
}
