package provider

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// key_resource.go (the types), key_schema.go, key_modify_plan.go and
// key_crud.go are the one implementation of an API key resource. Keys of every
// owner (a service account's, horizon_service_account_key; a user's own,
// horizon_personal_api_key) share their attributes, their plan (key_plan.go),
// the ledger of this provider's key changes (key_ledger.go), grace periods and
// age-encrypted secrets (age.go); a keyOwner supplies what differs: the
// attributes that name the owner, the owner's limit of active keys and the
// API paths.

var (
	_ resource.ResourceWithConfigure      = (*apiKeyResource)(nil)
	_ resource.ResourceWithImportState    = (*apiKeyResource)(nil)
	_ resource.ResourceWithIdentity       = (*apiKeyResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*apiKeyResource)(nil)
	_ resource.ResourceWithValidateConfig = (*apiKeyResource)(nil)
)

const maxKeyNameLength = 128

// The bounds of grace_period: under a minute is no grace for a consumer that
// reloads its secret, and a week covers any reload schedule.
const (
	minGracePeriod = time.Minute
	maxGracePeriod = 7 * 24 * time.Hour
)

// keyOwner is what an API key resource needs to know of the keys' owner.
type keyOwner interface {
	// typeName is the resource type after the provider's prefix, such as "service_account_key".
	typeName() string
	// describe introduces the resource in its documentation.
	describe() string
	// ownerAttributes are the attributes that name the owner; their changes replace the key.
	ownerAttributes() map[string]schema.Attribute
	// ownerAttribute is the attribute that holds the owner's id, if the resource has one.
	ownerAttribute() string
	// read decodes the resource's plan, state or configuration; write encodes it.
	read(ctx context.Context, from planGetter) (ownedKey, diag.Diagnostics)
	write(ctx context.Context, to stateSetter, k ownedKey) diag.Diagnostics
	// resolve returns the id of the owner of k, to call Horizon and key the
	// ledger by, and how messages name it ("service account sa_..."): the
	// kind of owner, then its id. An unknown owner (not created yet) has id
	// "". An *ownerError is a problem with the owner itself.
	resolve(ctx context.Context, p *providerData, k ownedKey) (id, name string, err error)
	// limit is how many active keys the owner may hold, and limitAdvice what
	// a user at the limit does.
	limit() int
	limitAdvice() string
	// The owner's key endpoints.
	list(ctx context.Context, c *client.Client, ownerID string) ([]client.APIKey, error)
	get(ctx context.Context, c *client.Client, ownerID, keyID string) (*client.APIKey, error)
	create(ctx context.Context, c *client.Client, ownerID string, req client.CreateAPIKeyRequest) (*client.APIKey, error)
	update(ctx context.Context, c *client.Client, ownerID, keyID string, req client.UpdateAPIKeyRequest) (*client.APIKey, error)
	revoke(ctx context.Context, c *client.Client, ownerID, keyID string) (*client.APIKey, error)
	// identity is the resource's identity: the ids of its import id.
	identity() importIdentity
	// missing is the diagnostic for an owner that Horizon does not know.
	missing(ownerName string) diag.Diagnostic
}

// apiKeyModel holds the attributes of every API key resource; each resource's
// model embeds it beside the attributes that name the owner.
type apiKeyModel struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	ExpiresAt       types.String `tfsdk:"expires_at"`
	TTL             types.String `tfsdk:"ttl"`
	RenewBefore     types.String `tfsdk:"renew_before"`
	Keepers         types.Map    `tfsdk:"keepers"`
	GracePeriod     types.String `tfsdk:"grace_period"`
	AgeRecipients   types.Set    `tfsdk:"age_recipients"`
	EncryptedSecret types.String `tfsdk:"encrypted_secret"`
	Secret          types.String `tfsdk:"secret"`
	MaskedSecret    types.String `tfsdk:"masked_secret"`
	Status          types.String `tfsdk:"status"`
	CreatedAt       types.String `tfsdk:"created_at"`
	RevokedAt       types.String `tfsdk:"revoked_at"`
}

// ownedKey is a key resource's value: its owner, as the resource names it
// (null when the resource does not, as for the provider's own user), and the key.
type ownedKey struct {
	Owner types.String
	Key   apiKeyModel
}

// apiKeyResource is an API key resource of one kind of owner.
type apiKeyResource struct {
	owner  keyOwner
	data   *providerData
	client *client.Client
	keys   *keyLedger
}

// ownerError is a key whose owner the provider cannot have keys for.
type ownerError struct{ summary, detail string }

func (e *ownerError) Error() string { return e.detail }

// ownerDiagnostic reports a failure to resolve a key's owner.
func ownerDiagnostic(action string, err error) diag.Diagnostic {
	var owner *ownerError
	if errors.As(err, &owner) {
		return diag.NewErrorDiagnostic(owner.summary, owner.detail)
	}
	return apiErrorDiagnostic(action, err)
}

// fromAPI maps the key's metadata into the model. The secret is left alone: only
// the create response carries it. An expires_at that names the same instant as the
// one already in the model keeps its spelling, so an offset such as +02:00 in the
// configuration does not show up as a perpetual diff against the server's UTC form.
func (m *apiKeyModel) fromAPI(k *client.APIKey) {
	m.ID = types.StringValue(k.ID)
	m.Name = types.StringValue(k.Name)
	m.ExpiresAt = sameInstantOr(m.ExpiresAt, k.ExpiresAt)
	m.MaskedSecret = types.StringValue(k.MaskedSecret)
	m.Status = types.StringValue(k.Status)
	m.CreatedAt = types.StringValue(k.CreatedAt)
	m.RevokedAt = types.StringPointerValue(k.RevokedAt)
}

func sameInstantOr(prior types.String, api *string) types.String {
	if api == nil {
		return types.StringNull()
	}
	if sameInstant(prior, types.StringValue(*api)) {
		return prior
	}
	return types.StringValue(*api)
}

func (r *apiKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.owner.typeName()
}

func (r *apiKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if p := providerDataFrom(req.ProviderData, &resp.Diagnostics); p != nil {
		r.data, r.client, r.keys = p, p.client, p.keys
	}
}

// IdentitySchema, ImportState and setIdentity are withIdentity's, with the
// owner's identity.
func (r *apiKeyResource) IdentitySchema(ctx context.Context, req resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	withIdentity{r.owner.identity()}.IdentitySchema(ctx, req, resp)
}

func (r *apiKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	withIdentity{r.owner.identity()}.ImportState(ctx, req, resp)
}

func (r *apiKeyResource) setIdentity(ctx context.Context, from attributeGetter, to *tfsdk.ResourceIdentity) diag.Diagnostics {
	return setIdentity(ctx, r.owner.identity(), from, to)
}
