data "horizon_server" "weather" {
  slug = "weather"
}

output "weather_mcp_url" {
  value = data.horizon_server.weather.url
}
