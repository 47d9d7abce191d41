# Every server the provider's key may discover.
list "horizon_server" "all" {
  provider = horizon
}
