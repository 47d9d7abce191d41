data "horizon_server" "weather" {
  slug = "weather"
}

resource "horizon_service_account" "forecaster" {
  name = "forecaster"
  role = "member"
}

# The forecaster may call the weather server's tools, and nothing else there.
resource "horizon_server_grant" "forecaster_weather" {
  service_account_id = horizon_service_account.forecaster.id
  server_id          = data.horizon_server.weather.id
  role               = "user"
  capabilities       = ["tools"]
}
