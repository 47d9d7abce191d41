# A server is imported by its id.
terraform import horizon_server.billing srv_2q3w5e7r6t4yabcd
