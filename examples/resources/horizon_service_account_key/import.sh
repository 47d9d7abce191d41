# A key is imported as <service_account_id>/<key_id>. Horizon never shows a
# secret twice, so an imported key's secret is null in the state.
terraform import horizon_service_account_key.deployer sa_5t7y2u4i3o5pabcd/key_2w4e6r7t3y2uabcd
