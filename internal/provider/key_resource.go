package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// This file is the one implementation of an API key resource. Keys of every
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

func (r *apiKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "Id of the key (`key_...`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			MarkdownDescription: fmt.Sprintf("Name of the key, 1 to %d characters, such as `primary` or the date of rotation. "+
				"Renaming updates the key in place; its secret does not change.", maxKeyNameLength),
			Required:   true,
			Validators: []validator.String{keyName.validator()},
		},
		"expires_at": schema.StringAttribute{
			MarkdownDescription: "When the key stops authenticating, as an RFC 3339 time in the future in whole seconds, such as `2027-01-31T00:00:00Z`. " +
				"Set it, or `ttl`, or neither for a key that does not expire. With `ttl`, Horizon sets it at creation. " +
				"Changing it creates a new key. A key that has expired is planned for replacement, with a warning.",
			Optional:   true,
			Computed:   true,
			Validators: []validator.String{rfc3339Validator(), stringvalidator.ConflictsWith(path.MatchRoot("ttl"))},
		},
		"ttl": schema.StringAttribute{
			MarkdownDescription: "Lifetime of the key as a Go duration (`720h`, `90m`) " + durationRange(minTTL, maxTTL) + ": " +
				"Horizon sets `expires_at` to the creation time plus `ttl`. Changing it creates a new key.",
			Optional:   true,
			Validators: []validator.String{durationValidator(minTTL, maxTTL)},
		},
		"renew_before": schema.StringAttribute{
			MarkdownDescription: "With `ttl`: a Go duration (such as `168h`). A plan made when less than this is left before " +
				"`expires_at` (by Horizon's clock) replaces the key, with a warning; with `create_before_destroy` the new key " +
				"exists before the old one is revoked. Must be shorter than `ttl`. Changing it changes only when renewal happens.",
			Optional:   true,
			Validators: []validator.String{durationValidator(0, maxTTL), stringvalidator.AlsoRequires(path.MatchRoot("ttl"))},
		},
		"keepers": schema.MapAttribute{
			MarkdownDescription: "Arbitrary map of strings; changing any value creates a new key. Use it to rotate on an event, " +
				"such as a new value of a `time_rotating` resource or a deployment version.",
			ElementType: types.StringType,
			Optional:    true,
		},
		"grace_period": schema.StringAttribute{
			MarkdownDescription: "How long the key keeps working after it is destroyed or replaced, as a Go duration " +
				"(such as `30m` or `24h`) " + durationRange(minGracePeriod, maxGracePeriod) + ". Instead of revoking the key, destroying it brings its expiry " +
				"forward to the end of the grace period (never later than an `expires_at` it already has), so consumers that pick up " +
				"the new secret on their own schedule keep working until then. A key in its grace period still counts toward the " +
				"owner's limit of active keys. Without it, destroying revokes the key at once. Changing it updates in place, " +
				"with no call to Horizon.",
			Optional:   true,
			Validators: []validator.String{durationValidator(minGracePeriod, maxGracePeriod)},
		},
		"age_recipients": schema.SetAttribute{
			MarkdownDescription: "Keeps the secret out of the state: a set of age recipients, each " + acceptedRecipients + ". " +
				"With it, `secret` stays null and `encrypted_secret` holds the secret encrypted to every recipient, so only " +
				"a holder of a matching identity can read it (`age -d -i identity.txt`, or the `horizon_api_key_secret` " +
				"ephemeral resource). Changing it creates a new key, since the plaintext is gone.",
			ElementType: types.StringType,
			Optional:    true,
			Validators:  []validator.Set{ageRecipientsValidator{}},
		},
		"encrypted_secret": schema.StringAttribute{
			MarkdownDescription: "With `age_recipients`: the secret, encrypted with age to every recipient, in ASCII armor " +
				"(`-----BEGIN AGE ENCRYPTED FILE-----`). Null without `age_recipients`, and after `terraform import`.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"secret": schema.StringAttribute{
			MarkdownDescription: "The key's secret (`fmcp_...`), to send as `Authorization: Bearer <secret>`. Known only to the " +
				"apply that created the key; null after `terraform import`, because Horizon never shows a secret twice, " +
				"and null with `age_recipients`, which keeps it out of the state.",
			Computed:      true,
			Sensitive:     true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"masked_secret": schema.StringAttribute{
			MarkdownDescription: "A non-sensitive rendering of the secret (`fmcp_AbCd...wXyZ`) that is safe to show in outputs and logs, " +
				"to tell keys apart.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"status": schema.StringAttribute{
			MarkdownDescription: "Status of the key: " + quoteList(api.KeyStatuses) + ". A key that is not `active` when Terraform " +
				"refreshes it is planned for replacement, with a warning that says why.",
			Computed: true,
		},
		"created_at": schema.StringAttribute{
			MarkdownDescription: "When the key was created (RFC 3339).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"revoked_at": schema.StringAttribute{
			MarkdownDescription: "When the key was revoked (RFC 3339); null while it is not.",
			Computed:            true,
		},
	}
	for name, a := range r.owner.ownerAttributes() {
		attributes[name] = a
	}
	resp.Schema = schema.Schema{MarkdownDescription: r.owner.describe(), Attributes: attributes}
}

func (r *apiKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if p := providerDataFrom(req.ProviderData, &resp.Diagnostics); p != nil {
		r.data, r.client, r.keys = p, p.client, p.keys
	}
}

// ValidateConfig refuses a renew_before that is not shorter than ttl: every plan
// would then replace the key it just created.
func (r *apiKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	ttl, renew := configString(ctx, req.Config, "ttl"), configString(ctx, req.Config, "renew_before")
	dt, okT := parseDuration(ttl)
	dr, okR := parseDuration(renew)
	if okT && okR && dr >= dt {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before"), "Renewal Window Too Long", fmt.Sprintf(
			"renew_before (%s) must be shorter than ttl (%s), or every plan would replace the key it just created. "+
				"A common choice is a quarter of ttl, such as ttl = \"720h\" with renew_before = \"168h\".", renew.ValueString(), ttl.ValueString()))
	}
}

// privateCreateCounted marks, in the private state of a replacement's plan,
// that the ledger has counted its create: Terraform plans a replacement a
// second time as a create, with this private state, and drops that second
// plan's warnings.
const privateCreateCounted = "create_counted"

// ModifyPlan applies the decision of planKey and checkKeyLimit (key_plan.go),
// after gathering their inputs, and records in the ledger what this plan
// creates and revokes, for the plans of the owner's other keys.
func (r *apiKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req)
		return
	}
	if unchangedPlan(req) && r.steadyPlan(ctx, stateAttributes(req)) {
		return
	}
	in := keyPlanInput{ConfiguredExpiresAt: configString(ctx, req.Config, "expires_at"), Now: r.now(), OwnerAttribute: r.owner.ownerAttribute()}
	var diags diag.Diagnostics
	in.Proposed, diags = r.owner.read(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	if !req.State.Raw.IsNull() {
		prior, diags := r.owner.read(ctx, req.State)
		resp.Diagnostics.Append(diags...)
		in.Prior = &prior
		r.keys.keyPlanned(prior.Key.ID.ValueString())
	}
	if resp.Diagnostics.HasError() {
		return
	}
	ownerID, ownerName, err := r.resolveOwner(ctx, in.Proposed)
	if err != nil {
		resp.Diagnostics.Append(ownerDiagnostic("plan API key "+in.Proposed.Key.Name.String(), err))
		return
	}
	in.OwnerName = ownerName
	decision := planKey(in)
	resp.Diagnostics.Append(decision.Diagnostics...)
	if decision.createsKey(in) && ownerID != "" && !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(r.checkKeyLimit(ctx, in, ownerID, req, resp)...)
	}
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.Plan, decision.Planned)...)
	resp.RequiresReplace = append(resp.RequiresReplace, decision.Replace...)
}

// load decodes the key from a plan or state and resolves its owner; ok is
// false when diags holds why it could not.
func (r *apiKeyResource) load(ctx context.Context, from planGetter, action string, diags *diag.Diagnostics) (k ownedKey, ownerID, ownerName string, ok bool) {
	k, d := r.owner.read(ctx, from)
	diags.Append(d...)
	if diags.HasError() {
		return k, "", "", false
	}
	ownerID, ownerName, err := r.resolveOwner(ctx, k)
	if err != nil {
		diags.Append(ownerDiagnostic(action+" "+who(k.Key, "its owner"), err))
		return k, "", "", false
	}
	return k, ownerID, ownerName, true
}

// resolveOwner is the owner's id and name, or "" while it is unknown.
func (r *apiKeyResource) resolveOwner(ctx context.Context, k ownedKey) (id, name string, err error) {
	if r.data == nil {
		return "", "", nil
	}
	return r.owner.resolve(ctx, r.data, k)
}

// planDestroy records in the ledger a key that this plan revokes at once, so
// that a create planned for its owner counts the slot as free.
func (r *apiKeyResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest) {
	if r.keys == nil || req.State.Raw.IsNull() {
		return
	}
	r.keys.planning()
	prior, diags := r.owner.read(ctx, req.State)
	if diags.HasError() {
		return
	}
	if prior.Key.GracePeriod.IsNull() && prior.Key.Status.ValueString() == api.KeyStatusActive {
		if ownerID, _, err := r.resolveOwner(ctx, prior); err == nil && ownerID != "" {
			r.keys.planRevoke(ownerID, prior.Key.ID.ValueString())
			return
		}
	}
	r.keys.keyPlanned(prior.Key.ID.ValueString())
}

// checkKeyLimit gathers what checkKeyLimit decides on: the owner's active
// keys (from Horizon, unless this provider created the owner and knows them)
// and this plan's other key changes, and counts this create in the ledger.
func (r *apiKeyResource) checkKeyLimit(ctx context.Context, in keyPlanInput, ownerID string, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) diag.Diagnostics {
	if in.Prior == nil {
		if counted, _ := req.Private.GetKey(ctx, privateCreateCounted); counted != nil {
			// The second plan of a replacement: counted, and Terraform drops its warnings.
			return nil
		}
	} else {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateCreateCounted, []byte("true"))...)
	}
	others := r.keys.planCreate(ownerID)
	var listed []activeKey
	if !r.keys.createdHere(ownerID) {
		keys, err := r.owner.list(ctx, r.client, ownerID)
		switch {
		case errors.Is(err, client.ErrNotFound):
			return diag.Diagnostics{r.owner.missing(in.OwnerName)}
		case err != nil:
			tflog.Debug(ctx, "Could not list keys to check the key limit at plan time", map[string]any{"error": err.Error()})
			return nil
		}
		listed = activeKeysOf(keys)
	}
	limitIn := keyLimitInput{Name: in.Proposed.Key.Name.ValueString()}
	if in.Prior != nil && in.Prior.Owner.Equal(in.Proposed.Owner) {
		limitIn.Replacing = &in.Prior.Key
	}
	limitIn.Keys = r.keys.view(ownerID, in.OwnerName, r.owner.limit(), listed, others)
	diags := checkKeyLimit(limitIn)
	if len(diags) == 0 {
		return nil
	}
	if in.Prior == nil && r.keys.inApply(ctx) {
		// The re-plan of a create during the apply (see keyLedger).
		return nil
	}
	// Before warning, let the plans of the owner's other keys arrive: one of
	// them may destroy a key and free its slot (see planWait).
	var held []string
	for _, k := range limitIn.Keys.Active {
		if limitIn.Replacing == nil || k.ID != limitIn.Replacing.ID.ValueString() {
			held = append(held, k.ID)
		}
	}
	r.keys.awaitKeyPlans(ctx, held)
	limitIn.Keys = r.keys.view(ownerID, in.OwnerName, r.owner.limit(), listed, r.keys.pendingCreates(ownerID)-1)
	return checkKeyLimit(limitIn)
}

func activeKeysOf(keys []client.APIKey) []activeKey {
	var active []activeKey
	for _, k := range keys {
		if k.Status == api.KeyStatusActive {
			active = append(active, activeKey{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, ExpiresAt: derefOr(k.ExpiresAt, "")})
		}
	}
	return active
}

func derefOr(s *string, fallback string) string {
	if s == nil {
		return fallback
	}
	return *s
}

// steadyPlan is the rule of the most common plan, a refresh that changes
// nothing: an active key without renew_before whose proposed value is its
// state has nothing to decide (and its attributes' plan modifiers,
// UseStateForUnknown, change nothing known). The ledger learns that this
// process plans, and that it planned this key. It reads three attributes
// instead of decoding the whole model twice, which matters for plans of
// hundreds of keys.
func (r *apiKeyResource) steadyPlan(_ context.Context, state map[string]tftypes.Value) bool {
	var id, status string
	if r.keys == nil || state["id"].As(&id) != nil || state["status"].As(&status) != nil ||
		status != api.KeyStatusActive || !state["renew_before"].IsNull() {
		return false
	}
	r.keys.planning()
	r.keys.keyPlanned(id)
	return true
}

// now is Horizon's current time as last seen by the client, or the local time
// before any response: expiry is Horizon's decision, so its clock is the one to ask.
func (r *apiKeyResource) now() time.Time {
	if r.client != nil {
		if t, ok := r.client.ServerTime(); ok {
			return t
		}
	}
	return time.Now()
}

// configString reads a string attribute of the configuration; the schema
// guarantees the type, so a failure can only mean "not there".
func configString(ctx context.Context, config tfsdk.Config, attribute string) types.String {
	var v types.String
	if diags := config.GetAttribute(ctx, path.Root(attribute), &v); diags.HasError() {
		return types.StringNull()
	}
	return v
}

// who names a key in messages: "API key key_... ("primary") of service account sa_...".
func who(k apiKeyModel, ownerName string) string {
	return fmt.Sprintf("API key %s (%q) of %s", k.ID.ValueString(), k.Name.ValueString(), ownerName)
}

func (r *apiKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.keys.applyingChanges()
	planned, ownerID, ownerName, ok := r.load(ctx, req.Plan, "create", &resp.Diagnostics)
	if !ok {
		return
	}
	k := &planned.Key
	body := client.CreateAPIKeyRequest{Name: k.Name.ValueString()}
	if ttl, ok := parseDuration(k.TTL); ok {
		seconds := int64(ttl / time.Second)
		body.TTLSeconds = &seconds
	} else {
		body.ExpiresAt = k.ExpiresAt.ValueStringPointer()
	}
	ctx, cancel := uninterruptible(ctx)
	defer cancel()
	revokesBefore := r.keys.revokeCount(ownerID)
	key, err := r.owner.create(ctx, r.client, ownerID, body)
	if errors.Is(err, client.ErrKeyLimitExceeded) && r.keys.waitForRevokes(ctx, ownerID, revokesBefore) {
		// This apply was revoking a key of the owner while Horizon refused:
		// the revoke has finished now, so the slot is free.
		key, err = r.owner.create(ctx, r.client, ownerID, body)
	}
	if err != nil {
		r.keys.settleCreate(ownerID, nil)
		resp.Diagnostics.Append(r.keyCreateDiagnostic(ownerID, ownerName, k.Name.ValueString(), err))
		return
	}
	r.keys.settleCreate(ownerID, &activeKey{ID: key.ID, Name: key.Name, CreatedAt: key.CreatedAt, ExpiresAt: derefOr(key.ExpiresAt, "")})
	k.fromAPI(key)
	resp.Diagnostics.Append(k.keepSecret(ctx, key.Secret)...)
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.State, planned)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

// keepSecret puts a new key's secret into the model: in secret, or, with
// age_recipients, only encrypted, in encrypted_secret. The plaintext goes
// nowhere else, whatever happens: a key whose secret cannot be encrypted is
// kept without it, so that it is recorded (and can be replaced), never stored
// in the clear.
func (m *apiKeyModel) keepSecret(ctx context.Context, secret string) diag.Diagnostics {
	m.Secret, m.EncryptedSecret = types.StringValue(secret), types.StringNull()
	if m.AgeRecipients.IsNull() {
		return nil
	}
	m.Secret = types.StringNull()
	var diags diag.Diagnostics
	recipients, err := ageRecipients(ctx, m.AgeRecipients)
	if err == nil {
		var encrypted string
		if encrypted, err = encryptSecret(secret, recipients); err == nil {
			m.EncryptedSecret = types.StringValue(encrypted)
			return nil
		}
	}
	diags.AddAttributeError(path.Root("age_recipients"), "Secret Not Encrypted", fmt.Sprintf(
		"API key %s was created, but its secret could not be encrypted to age_recipients (%v), so Terraform keeps the key without its secret. "+
			"Correct age_recipients and replace the key (terraform apply -replace=...).", m.ID.ValueString(), err))
	return diags
}

func (r *apiKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.Append(r.setIdentity(ctx, req.State, resp.Identity)...)
	r.keys.planning()
	state, ownerID, ownerName, ok := r.load(ctx, req.State, "read", &resp.Diagnostics)
	if !ok {
		return
	}
	key, err := r.owner.get(ctx, r.client, ownerID, state.Key.ID.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddWarning("API Key Deleted Outside Terraform", fmt.Sprintf(
			"API key %s of %s no longer exists in Horizon (or its owner was deleted), so Terraform will create a new key.",
			state.Key.ID.ValueString(), ownerName))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic("read "+who(state.Key, ownerName), err))
		return
	}
	state.Key.fromAPI(key)
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.State, state)...)
}

// Update renames the key. Every other configurable attribute either replaces
// the key or, like grace_period, only matters to the provider: changing it
// calls no API. The plan already holds every other value (planKey).
func (r *apiKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, diags := r.owner.read(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	state, diags := r.owner.read(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.applyingChanges()
	if !plan.Key.Name.Equal(state.Key.Name) {
		ownerID, ownerName, err := r.resolveOwner(ctx, state)
		if err == nil {
			var key *client.APIKey
			key, err = r.owner.update(ctx, r.client, ownerID, state.Key.ID.ValueString(), client.UpdateAPIKeyRequest{Name: plan.Key.Name.ValueStringPointer()})
			if err == nil {
				plan.Key.fromAPI(key)
			}
		}
		if err != nil {
			resp.Diagnostics.Append(ownerDiagnostic("rename "+who(state.Key, ownerName), err))
			return
		}
	}
	resp.Diagnostics.Append(r.owner.write(ctx, &resp.State, plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

// Delete revokes the key, or, with a grace period, brings its expiry forward to
// the end of the grace period.
func (r *apiKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.keys.applyingChanges()
	state, ownerID, ownerName, ok := r.load(ctx, req.State, "revoke", &resp.Diagnostics)
	if !ok {
		return
	}
	if grace, ok := parseDuration(state.Key.GracePeriod); ok {
		resp.Diagnostics.Append(r.retire(ctx, ownerID, ownerName, state.Key, grace)...)
		return
	}
	keyID := state.Key.ID.ValueString()
	end := r.keys.beginRevoke(ownerID, keyID)
	_, err := r.owner.revoke(ctx, r.client, ownerID, keyID)
	end(err == nil)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(apiErrorDiagnostic("revoke "+who(state.Key, ownerName), err))
	}
}

// retire gives a destroyed key its grace period: its expiry moves forward to
// now + grace by Horizon's clock, unless it already expires sooner.
func (r *apiKeyResource) retire(ctx context.Context, ownerID, ownerName string, k apiKeyModel, grace time.Duration) diag.Diagnostics {
	keyID := k.ID.ValueString()
	action := "start the grace period of " + who(k, ownerName)
	var diags diag.Diagnostics
	now, known := r.client.ServerTime()
	if !known {
		// The first request of this process: reading the key tells Horizon's
		// time, and its current expiry.
		key, err := r.owner.get(ctx, r.client, ownerID, keyID)
		if errors.Is(err, client.ErrNotFound) {
			return nil
		}
		if err != nil {
			diags.Append(apiErrorDiagnostic(action, err))
			return diags
		}
		k.fromAPI(key)
		now, _ = r.client.ServerTime()
	}
	end := graceEnd(now, grace)
	if k.Status.ValueString() != api.KeyStatusActive {
		return nil
	}
	if current, ok := parseTime(k.ExpiresAt); ok && !current.After(end) {
		// Its expiry is already sooner, and Horizon never lets it move later.
		return nil
	}
	expiresAt := end.Format(time.RFC3339)
	_, err := r.owner.update(ctx, r.client, ownerID, keyID, client.UpdateAPIKeyRequest{ExpiresAt: &expiresAt})
	if apiErr, ok := client.AsAPIError(err); ok && (apiErr.StatusCode == http.StatusNotFound || apiErr.Field() == "expires_at") {
		// Gone, or it expires sooner already (changed since the refresh).
		return nil
	}
	if err != nil {
		diags.Append(apiErrorDiagnostic(action, err))
		return diags
	}
	r.keys.retire(ownerID, keyID, expiresAt)
	return nil
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

// keyCreateDiagnostic explains the key limit, the one create failure users hit
// in normal operation, and how to get past it.
func (r *apiKeyResource) keyCreateDiagnostic(ownerID, ownerName, name string, err error) diag.Diagnostic {
	action := fmt.Sprintf("create API key %q for %s", name, ownerName)
	apiErr, ok := client.AsAPIError(err)
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	if apiErr.StatusCode == http.StatusNotFound && apiErr.Resource() != "" && apiErr.Resource() != "api_key" {
		return r.owner.missing(ownerName)
	}
	limit, ok := apiErr.KeyLimit()
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	if limit.Limit == 0 {
		limit.Limit = r.owner.limit()
	}
	active := make([]activeKey, len(limit.ActiveKeys))
	for i, k := range limit.ActiveKeys {
		active[i] = activeKey{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, ExpiresAt: derefOr(k.ExpiresAt, "")}
	}
	r.keys.markRetiring(ownerID, active)
	summary := titleCase(ownerKind(ownerName)) + " Key Limit Reached"
	return diag.NewErrorDiagnostic(summary, fmt.Sprintf(
		"Could not %s: %s already has %d active keys, the most Horizon allows (limit %d):\n%s\n%s\n"+
			"A key that expires, such as one in the grace period of an earlier rotation (grace_period), keeps its slot until it expires: "+
			"apply again after that, or revoke it in Horizon once its consumers use the new key.",
		action, ownerName, len(limit.ActiveKeys), limit.Limit, describeActiveKeys(active), r.owner.limitAdvice()))
}
