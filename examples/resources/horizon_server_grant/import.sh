# A grant is imported as <service_account_id>/<server_id>.
terraform import horizon_server_grant.forecaster_weather sa_5t7y2u4i3o5pabcd/srv_2q3w5e7r6t4yabcd
