# The provider's organization, by its id.
terraform import horizon_organization_settings.this org_3h7k2m5q4w6eabcd
