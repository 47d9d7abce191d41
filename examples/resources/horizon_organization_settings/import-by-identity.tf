import {
  to = horizon_organization_settings.this
  identity = {
    organization_id = "org_3h7k2m5q4w6eabcd"
  }
}
