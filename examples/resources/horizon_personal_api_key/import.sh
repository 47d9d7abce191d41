# A personal key of the provider's user, by its id.
terraform import horizon_personal_api_key.laptop key_ab3defgh2jklmnop
