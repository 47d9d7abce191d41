package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// NewServiceAccountKeyResource returns the horizon_service_account_key resource.
func NewServiceAccountKeyResource() resource.Resource {
	return &apiKeyResource{owner: serviceAccountKeys{}}
}

// serviceAccountKeys is the keyOwner of horizon_service_account_key: the keys
// of the service account that service_account_id names.
type serviceAccountKeys struct{}

type serviceAccountKeyModel struct {
	ServiceAccountID types.String `tfsdk:"service_account_id"`
	apiKeyModel
}

func (serviceAccountKeys) typeName() string { return "service_account_key" }

func (serviceAccountKeys) describe() string {
	return "An API key of a service account. The key carries no scope of its own: every request made with it " +
		"is evaluated against the service account's current role and server grants.\n\n" +
		"The `secret` is returned by Horizon once, when the key is created, and is kept in the Terraform state " +
		"(protect the state accordingly), unless `age_recipients` keeps only its ciphertext. A service account can hold at most " +
		fmt.Sprint(api.MaxActiveKeysPerServiceAccount) + " active keys, " +
		"which is exactly what zero-downtime rotation needs: use `lifecycle { create_before_destroy = true }` so the " +
		"replacement exists before the old key is revoked. Destroying the resource revokes the key immediately, " +
		"or, with `grace_period`, lets it work until the grace period ends."
}

func (serviceAccountKeys) ownerAttribute() string { return "service_account_id" }

func (serviceAccountKeys) ownerAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"service_account_id": schema.StringAttribute{
			MarkdownDescription: "Id of the service account that owns the key (`sa_...`). Changing it creates a new key.",
			Required:            true,
			Validators:          []validator.String{idValidator("sa_", "a service account id")},
		},
	}
}

func (serviceAccountKeys) read(ctx context.Context, from planGetter) (ownedKey, diag.Diagnostics) {
	var m serviceAccountKeyModel
	diags := readModel(ctx, from, &m)
	return ownedKey{Owner: m.ServiceAccountID, Key: m.apiKeyModel}, diags
}

func (serviceAccountKeys) write(ctx context.Context, to stateSetter, k ownedKey) diag.Diagnostics {
	return writeModel(ctx, to, serviceAccountKeyModel{ServiceAccountID: k.Owner, apiKeyModel: k.Key})
}

func (serviceAccountKeys) resolve(_ context.Context, _ *providerData, k ownedKey) (string, string, error) {
	if k.Owner.IsUnknown() || k.Owner.IsNull() {
		return "", "its service account", nil
	}
	return k.Owner.ValueString(), "service account " + k.Owner.ValueString(), nil
}

func (serviceAccountKeys) limit() int { return api.MaxActiveKeysPerServiceAccount }

func (serviceAccountKeys) limitAdvice() string {
	return "Two keys exist to allow zero-downtime rotation: the replacement is created while the old key still works, then the old key is revoked. " +
		"To proceed, either:\n" +
		"  1. keep at most one other active key for this account and rotate with lifecycle { create_before_destroy = true }, or\n" +
		"  2. revoke one of the keys above first (remove its horizon_service_account_key resource, or revoke it in Horizon), then apply again."
}

func (serviceAccountKeys) list(ctx context.Context, c *client.Client, saID string) ([]client.APIKey, error) {
	return c.ListAPIKeys(ctx, saID)
}

func (serviceAccountKeys) get(ctx context.Context, c *client.Client, saID, keyID string) (*client.APIKey, error) {
	return c.GetAPIKey(ctx, saID, keyID)
}

func (serviceAccountKeys) create(ctx context.Context, c *client.Client, saID string, req client.CreateAPIKeyRequest) (*client.APIKey, error) {
	return c.CreateAPIKey(ctx, saID, req)
}

func (serviceAccountKeys) update(ctx context.Context, c *client.Client, saID, keyID string, req client.UpdateAPIKeyRequest) (*client.APIKey, error) {
	return c.UpdateAPIKey(ctx, saID, keyID, req)
}

func (serviceAccountKeys) revoke(ctx context.Context, c *client.Client, saID, keyID string) (*client.APIKey, error) {
	return c.RevokeAPIKey(ctx, saID, keyID)
}

func (serviceAccountKeys) identity() importIdentity { return serviceAccountKeyIdentity }

func (serviceAccountKeys) missing(ownerName string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("service_account_id"), "Service Account Not Found", fmt.Sprintf(
		"%s does not exist in Horizon (or the owner of the provider's API key may not see it), "+
			"so no key can be created for it. Check service_account_id: refer to a horizon_service_account resource, "+
			"or look the account up with the horizon_service_account data source.", capitalize(ownerName)))
}
