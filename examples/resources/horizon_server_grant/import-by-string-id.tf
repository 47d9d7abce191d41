import {
  to = horizon_server_grant.forecaster_weather
  id = "sa_5t7y9u1i3o5pabcd/srv_1q3w5e7r9t1yabcd"
}
