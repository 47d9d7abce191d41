# A grant is imported as <service_account_id>/<server_id>.
terraform import horizon_server_grant.forecaster_weather sa_5t7y9u1i3o5pabcd/srv_1q3w5e7r9t1yabcd
