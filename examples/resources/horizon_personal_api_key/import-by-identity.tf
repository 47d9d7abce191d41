import {
  to = horizon_personal_api_key.laptop
  identity = {
    id = "key_ab3defgh2jklmnop"
  }
}
