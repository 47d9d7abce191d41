package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// NewPersonalAPIKeyResource returns the horizon_personal_api_key resource.
func NewPersonalAPIKeyResource() resource.Resource { return &apiKeyResource{owner: personalKeys{}} }

// personalKeys is the keyOwner of horizon_personal_api_key: the personal keys
// of the user whose key configures the provider.
type personalKeys struct{}

type personalAPIKeyModel struct {
	apiKeyModel
}

func (personalKeys) typeName() string { return "personal_api_key" }

func (personalKeys) describe() string {
	return "A personal API key of the user whose API key configures the provider. It carries that user's current organization " +
		"role and server access, and nothing else. Use personal keys for work tied to one human user (a laptop, a person's own " +
		"tools); for production automation use a service account and `horizon_service_account_key`, so that the automation " +
		"does not depend on a person's access.\n\n" +
		"A user can hold at most " + fmt.Sprint(api.MaxActivePersonalKeysPerUser) + " active personal keys. Everything else " +
		"works as for `horizon_service_account_key`: the secret is returned once (or kept only encrypted, with `age_recipients`), " +
		"`ttl` and `renew_before` renew it, `keepers` rotate it, and `grace_period` keeps a replaced key working for a while. " +
		"With a provider authenticated as a service account, the plan fails: service accounts have no personal keys."
}

func (personalKeys) ownerAttribute() string { return "" }

func (personalKeys) ownerAttributes() map[string]schema.Attribute { return nil }

func (personalKeys) read(ctx context.Context, from planGetter) (ownedKey, diag.Diagnostics) {
	var m personalAPIKeyModel
	diags := readModel(ctx, from, &m)
	return ownedKey{Key: m.apiKeyModel}, diags
}

func (personalKeys) write(ctx context.Context, to stateSetter, k ownedKey) diag.Diagnostics {
	return writeModel(ctx, to, personalAPIKeyModel{apiKeyModel: k.Key})
}

// resolve is the provider's own user, which must be a user.
func (personalKeys) resolve(ctx context.Context, p *providerData, _ ownedKey) (string, string, error) {
	actor, err := p.me.get(ctx, p.client)
	if err != nil {
		return "", "", err
	}
	if actor.Type != "user" {
		return "", "", &ownerError{summary: "Personal Keys Belong to Users", detail: fmt.Sprintf(
			"horizon_personal_api_key manages the personal keys of the user whose API key configures the provider, "+
				"but the provider's key belongs to service account %s (%q), and service accounts have no personal keys. "+
				"Configure this provider with a user's key, or manage the account's keys with horizon_service_account_key.",
			actor.ID, actor.Name)}
	}
	return actor.ID, "user " + actor.ID, nil
}

func (personalKeys) limit() int { return api.MaxActivePersonalKeysPerUser }

func (personalKeys) limitAdvice() string {
	return fmt.Sprintf("A user may hold %d active personal keys. Revoke one you no longer use (remove its horizon_personal_api_key "+
		"resource, or revoke it from the user menu in Horizon), or use a service account for automation, then apply again.",
		api.MaxActivePersonalKeysPerUser)
}

func (personalKeys) list(ctx context.Context, c *client.Client, _ string) ([]client.APIKey, error) {
	return c.ListPersonalAPIKeys(ctx)
}

func (personalKeys) get(ctx context.Context, c *client.Client, _, keyID string) (*client.APIKey, error) {
	return c.GetPersonalAPIKey(ctx, keyID)
}

func (personalKeys) create(ctx context.Context, c *client.Client, _ string, req client.CreateAPIKeyRequest) (*client.APIKey, error) {
	return c.CreatePersonalAPIKey(ctx, req)
}

func (personalKeys) update(ctx context.Context, c *client.Client, _, keyID string, req client.UpdateAPIKeyRequest) (*client.APIKey, error) {
	return c.UpdatePersonalAPIKey(ctx, keyID, req)
}

func (personalKeys) revoke(ctx context.Context, c *client.Client, _, keyID string) (*client.APIKey, error) {
	return c.RevokePersonalAPIKey(ctx, keyID)
}

func (personalKeys) identity() importIdentity { return personalAPIKeyIdentity }

func (personalKeys) missing(ownerName string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("User Not Found", capitalize(ownerName)+
		" is not known to Horizon any more. Configure the provider with a current key of a user of the organization.")
}
