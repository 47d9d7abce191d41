# A service account is imported by its id.
terraform import horizon_service_account.deployer sa_5t7y9u1i3o5pabcd
