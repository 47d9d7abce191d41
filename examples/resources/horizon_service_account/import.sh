# A service account is imported by its id.
terraform import horizon_service_account.deployer sa_5t7y2u4i3o5pabcd
