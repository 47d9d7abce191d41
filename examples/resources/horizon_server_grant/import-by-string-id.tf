import {
  to = horizon_server_grant.forecaster_weather
  id = "sa_5t7y2u4i3o5pabcd/srv_2q3w5e7r6t4yabcd"
}
