data "horizon_personal_api_keys" "mine" {
  status = "active"
}

# Personal keys still active, with when each was last used.
output "my_active_keys" {
  value = [for k in data.horizon_personal_api_keys.mine.keys : "${k.name}: last used ${coalesce(k.last_used_at, "never")}"]
}
