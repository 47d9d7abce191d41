package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var (
	_ resource.ResourceWithConfigure      = (*serviceAccountKeyResource)(nil)
	_ resource.ResourceWithImportState    = (*serviceAccountKeyResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*serviceAccountKeyResource)(nil)
	_ resource.ResourceWithValidateConfig = (*serviceAccountKeyResource)(nil)
)

const maxKeyNameLength = 128

// The bounds of grace_period: under a minute is no grace for a consumer that
// reloads its secret, and a week covers any reload schedule.
const (
	minGracePeriod = time.Minute
	maxGracePeriod = 7 * 24 * time.Hour
)

type serviceAccountKeyResource struct {
	client *client.Client
	keys   *keyLedger
}

// NewServiceAccountKeyResource returns the horizon_service_account_key resource.
func NewServiceAccountKeyResource() resource.Resource { return &serviceAccountKeyResource{} }

type serviceAccountKeyModel struct {
	ID               types.String `tfsdk:"id"`
	ServiceAccountID types.String `tfsdk:"service_account_id"`
	Name             types.String `tfsdk:"name"`
	ExpiresAt        types.String `tfsdk:"expires_at"`
	TTL              types.String `tfsdk:"ttl"`
	RenewBefore      types.String `tfsdk:"renew_before"`
	Keepers          types.Map    `tfsdk:"keepers"`
	GracePeriod      types.String `tfsdk:"grace_period"`
	AgeRecipients    types.Set    `tfsdk:"age_recipients"`
	EncryptedSecret  types.String `tfsdk:"encrypted_secret"`
	Secret           types.String `tfsdk:"secret"`
	MaskedSecret     types.String `tfsdk:"masked_secret"`
	Status           types.String `tfsdk:"status"`
	CreatedAt        types.String `tfsdk:"created_at"`
	RevokedAt        types.String `tfsdk:"revoked_at"`
}

// fromAPI maps the key's metadata into the model. The secret is left alone: only
// the create response carries it. An expires_at that names the same instant as the
// one already in the model keeps its spelling, so an offset such as +02:00 in the
// configuration does not show up as a perpetual diff against the server's UTC form.
func (m *serviceAccountKeyModel) fromAPI(k *client.APIKey) {
	m.ID = types.StringValue(k.ID)
	m.ServiceAccountID = types.StringValue(k.ServiceAccountID)
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
	if !prior.IsNull() && !prior.IsUnknown() {
		p, errP := time.Parse(time.RFC3339, prior.ValueString())
		a, errA := time.Parse(time.RFC3339, *api)
		if errP == nil && errA == nil && p.Equal(a) {
			return prior
		}
	}
	return types.StringValue(*api)
}

func (r *serviceAccountKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account_key"
}

func (r *serviceAccountKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An API key of a service account. The key carries no scope of its own: every request made with it " +
			"is evaluated against the service account's current role and server grants.\n\n" +
			"The `secret` is returned by Horizon once, when the key is created, and is kept only in the Terraform state " +
			"(protect the state accordingly). A service account can hold at most " + fmt.Sprint(client.MaxActiveKeysPerServiceAccount) + " active keys, " +
			"which is exactly what zero-downtime rotation needs: use `lifecycle { create_before_destroy = true }` so the " +
			"replacement exists before the old key is revoked. Destroying the resource revokes the key immediately, " +
			"or, with `grace_period`, lets it work until the grace period ends.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Id of the key (`key_...`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"service_account_id": schema.StringAttribute{
				MarkdownDescription: "Id of the service account that owns the key (`sa_...`). Changing it creates a new key.",
				Required:            true,
				Validators:          []validator.String{idValidator("sa_", "a service account id")},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Name of the key, 1 to %d characters, such as `primary` or the date of rotation. "+
					"Renaming updates the key in place; its secret does not change.", maxKeyNameLength),
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, maxKeyNameLength), printableValidator()},
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the key stops authenticating, as an RFC 3339 time in the future such as `2027-01-31T00:00:00Z`. " +
					"Set it, or `ttl`, or neither for a key that does not expire. With `ttl`, Horizon sets it at creation. " +
					"Changing it creates a new key. A key that has expired is planned for replacement, with a warning.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{rfc3339Validator(), stringvalidator.ConflictsWith(path.MatchRoot("ttl"))},
			},
			"ttl": schema.StringAttribute{
				MarkdownDescription: "Lifetime of the key as a Go duration (`720h`, `90m`; at least `1m`, at most ten years): " +
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
					"(such as `30m` or `24h`; at least `1m`, at most `168h`). Instead of revoking the key, destroying it brings its expiry " +
					"forward to the end of the grace period (never later than an `expires_at` it already has), so consumers that pick up " +
					"the new secret on their own schedule keep working until then. A key in its grace period still counts toward the " +
					"account's limit of active keys. Without it, destroying revokes the key at once. Changing it updates in place, " +
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
				MarkdownDescription: "Status of the key: " + quoteList(keyStatuses) + ". A key that is not `active` when Terraform " +
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
		},
	}
}

func (r *serviceAccountKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if p := providerDataFrom(req.ProviderData, &resp.Diagnostics); p != nil {
		r.client, r.keys = p.client, p.keys
	}
}

// ValidateConfig refuses a renew_before that is not shorter than ttl: every plan
// would then replace the key it just created.
func (r *serviceAccountKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
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
// creates and revokes, for the plans of the account's other keys.
func (r *serviceAccountKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req)
		return
	}
	if r.unchangedActiveKey(ctx, req) {
		r.keys.planning()
		return
	}
	in := keyPlanInput{ConfiguredExpiresAt: configString(ctx, req.Config, "expires_at"), Now: r.now()}
	resp.Diagnostics.Append(req.Plan.Get(ctx, &in.Proposed)...)
	if !req.State.Raw.IsNull() {
		in.Prior = &serviceAccountKeyModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, in.Prior)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	decision := planKey(in)
	resp.Diagnostics.Append(decision.Diagnostics...)
	if decision.createsKey(in) && !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(r.checkKeyLimit(ctx, in, req, resp)...)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, decision.Planned)...)
	resp.RequiresReplace = append(resp.RequiresReplace, decision.Replace...)
}

// planDestroy records in the ledger a key that this plan revokes at once, so
// that a create planned for its account counts the slot as free.
func (r *serviceAccountKeyResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest) {
	var prior serviceAccountKeyModel
	if r.keys == nil || req.State.Raw.IsNull() || req.State.Get(ctx, &prior).HasError() {
		return
	}
	r.keys.planning()
	if prior.GracePeriod.IsNull() && prior.Status.ValueString() == client.KeyStatusActive {
		r.keys.planRevoke(prior.ServiceAccountID.ValueString(), prior.ID.ValueString())
	}
}

// checkKeyLimit gathers what checkKeyLimit decides on: the account's active
// keys (from Horizon, unless this provider created the account and knows
// them) and this plan's other key changes, and counts this create in the
// ledger.
func (r *serviceAccountKeyResource) checkKeyLimit(ctx context.Context, in keyPlanInput, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) diag.Diagnostics {
	saID := in.Proposed.ServiceAccountID
	if r.client == nil || saID.IsUnknown() || saID.IsNull() {
		return nil
	}
	owner := saID.ValueString()
	var others int
	if in.Prior == nil {
		if counted, _ := req.Private.GetKey(ctx, privateCreateCounted); counted != nil {
			// The second plan of a replacement: counted, and Terraform drops its warnings.
			return nil
		}
		others = r.keys.planCreate(owner)
	} else {
		others = r.keys.planCreate(owner)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateCreateCounted, []byte("true"))...)
	}
	var listed []activeKey
	if !r.keys.createdHere(owner) {
		keys, err := r.client.ListAPIKeys(ctx, owner)
		switch {
		case errors.Is(err, client.ErrNotFound):
			var diags diag.Diagnostics
			diags.AddAttributeError(path.Root("service_account_id"), "Service Account Not Found", fmt.Sprintf(
				"Service account %s does not exist in Horizon (or the owner of the provider's API key may not see it), "+
					"so no key can be created for it. Check service_account_id: refer to a horizon_service_account resource, "+
					"or look the account up with the horizon_service_account data source.", owner))
			return diags
		case err != nil:
			tflog.Debug(ctx, "Could not list keys to check the key limit at plan time", map[string]any{"error": err.Error()})
			return nil
		}
		listed = activeKeysOf(keys)
	}
	limitIn := keyLimitInput{
		Name: in.Proposed.Name.ValueString(),
		Keys: r.keys.view(owner, "service account "+owner, client.MaxActiveKeysPerServiceAccount, listed, others),
	}
	if in.Prior != nil && in.Prior.ServiceAccountID.Equal(saID) {
		limitIn.Replacing = in.Prior
	}
	diags := checkKeyLimit(limitIn)
	if len(diags) > 0 && in.Prior == nil && r.keys.inApply(ctx) {
		// The re-plan of a create during the apply (see keyLedger).
		return nil
	}
	return diags
}

func activeKeysOf(keys []client.APIKey) []activeKey {
	var active []activeKey
	for _, k := range keys {
		if k.Status == client.KeyStatusActive {
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

// unchangedActiveKey is the fast path of the most common plan, a refresh that
// changes nothing: an active key without renew_before whose proposed value is
// its state has nothing to decide. It reads two attributes instead of decoding
// the whole model twice, which matters for plans of hundreds of keys.
func (r *serviceAccountKeyResource) unchangedActiveKey(ctx context.Context, req resource.ModifyPlanRequest) bool {
	if req.State.Raw.IsNull() || !req.Plan.Raw.Equal(req.State.Raw) {
		return false
	}
	var status, renewBefore types.String
	if req.State.GetAttribute(ctx, path.Root("status"), &status).HasError() ||
		req.State.GetAttribute(ctx, path.Root("renew_before"), &renewBefore).HasError() {
		return false
	}
	return status.ValueString() == client.KeyStatusActive && renewBefore.IsNull()
}

// now is Horizon's current time as last seen by the client, or the local time
// before any response: expiry is Horizon's decision, so its clock is the one to ask.
func (r *serviceAccountKeyResource) now() time.Time {
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

func (r *serviceAccountKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan serviceAccountKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	saID := plan.ServiceAccountID.ValueString()
	body := client.CreateAPIKeyRequest{Name: plan.Name.ValueString()}
	if ttl, ok := parseDuration(plan.TTL); ok {
		seconds := int64(ttl / time.Second)
		body.TTLSeconds = &seconds
	} else {
		body.ExpiresAt = plan.ExpiresAt.ValueStringPointer()
	}
	r.keys.applyingChanges()
	ctx, cancel := uninterruptible(ctx)
	defer cancel()
	revokesBefore := r.keys.revokeCount(saID)
	key, err := r.client.CreateAPIKey(ctx, saID, body)
	if errors.Is(err, client.ErrKeyLimitExceeded) && r.keys.waitForRevokes(ctx, saID, revokesBefore) {
		// This apply was revoking a key of the account while Horizon refused:
		// the revoke has finished now, so the slot is free.
		key, err = r.client.CreateAPIKey(ctx, saID, body)
	}
	if err != nil {
		r.keys.settleCreate(saID, nil)
		resp.Diagnostics.Append(r.keyCreateDiagnostic(saID, plan.Name.ValueString(), err))
		return
	}
	r.keys.settleCreate(saID, &activeKey{ID: key.ID, Name: key.Name, CreatedAt: key.CreatedAt, ExpiresAt: derefOr(key.ExpiresAt, "")})
	plan.fromAPI(key)
	resp.Diagnostics.Append(plan.keepSecret(ctx, key.Secret)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// keepSecret puts a new key's secret into the model: in secret, or, with
// age_recipients, only encrypted, in encrypted_secret. The plaintext goes
// nowhere else, whatever happens: a key whose secret cannot be encrypted is
// kept without it, so that it is recorded (and can be replaced), never stored
// in the clear.
func (m *serviceAccountKeyModel) keepSecret(ctx context.Context, secret string) diag.Diagnostics {
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

func (r *serviceAccountKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state serviceAccountKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.planning()
	key, err := r.client.GetAPIKey(ctx, state.ServiceAccountID.ValueString(), state.ID.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddWarning("API Key Deleted Outside Terraform", fmt.Sprintf(
			"API key %s of service account %s no longer exists in Horizon (or its service account was deleted), "+
				"so Terraform will create a new key.", state.ID.ValueString(), state.ServiceAccountID.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("read API key %s of service account %s",
			state.ID.ValueString(), state.ServiceAccountID.ValueString()), err))
		return
	}
	state.fromAPI(key)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update renames the key. Every other configurable attribute either replaces
// the key or, like grace_period, only matters to the provider: changing it
// calls no API. The plan already holds every other value (planKey).
func (r *serviceAccountKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state serviceAccountKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.applyingChanges()
	if !plan.Name.Equal(state.Name) {
		key, err := r.client.UpdateAPIKey(ctx, state.ServiceAccountID.ValueString(), state.ID.ValueString(),
			client.UpdateAPIKeyRequest{Name: plan.Name.ValueStringPointer()})
		if err != nil {
			resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("rename API key %s of service account %s",
				state.ID.ValueString(), state.ServiceAccountID.ValueString()), err))
			return
		}
		plan.fromAPI(key)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Delete revokes the key, or, with a grace period, brings its expiry forward to
// the end of the grace period.
func (r *serviceAccountKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state serviceAccountKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.applyingChanges()
	saID, keyID := state.ServiceAccountID.ValueString(), state.ID.ValueString()
	if grace, ok := parseDuration(state.GracePeriod); ok {
		resp.Diagnostics.Append(r.retire(ctx, state, grace)...)
		return
	}
	end := r.keys.beginRevoke(saID, keyID)
	_, err := r.client.RevokeAPIKey(ctx, saID, keyID)
	end(err == nil)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("revoke API key %s of service account %s", keyID, saID), err))
	}
}

// retire gives a destroyed key its grace period: its expiry moves forward to
// now + grace by Horizon's clock, unless it already expires sooner.
func (r *serviceAccountKeyResource) retire(ctx context.Context, state serviceAccountKeyModel, grace time.Duration) diag.Diagnostics {
	saID, keyID := state.ServiceAccountID.ValueString(), state.ID.ValueString()
	action := fmt.Sprintf("start the grace period of API key %s of service account %s", keyID, saID)
	var diags diag.Diagnostics
	now, known := r.client.ServerTime()
	if !known {
		// The first request of this process: reading the key tells Horizon's
		// time, and its current expiry.
		key, err := r.client.GetAPIKey(ctx, saID, keyID)
		if errors.Is(err, client.ErrNotFound) {
			return nil
		}
		if err != nil {
			diags.Append(apiErrorDiagnostic(action, err))
			return diags
		}
		state.fromAPI(key)
		now, _ = r.client.ServerTime()
	}
	end := graceEnd(now, grace)
	if state.Status.ValueString() != client.KeyStatusActive {
		return nil
	}
	if current, ok := parseTime(state.ExpiresAt); ok && !current.After(end) {
		// Its expiry is already sooner, and Horizon never lets it move later.
		return nil
	}
	expiresAt := end.Format(time.RFC3339)
	_, err := r.client.UpdateAPIKey(ctx, saID, keyID, client.UpdateAPIKeyRequest{ExpiresAt: &expiresAt})
	if apiErr, ok := client.AsAPIError(err); ok && (apiErr.StatusCode == http.StatusNotFound || apiErr.Field() == "expires_at") {
		// Gone, or it expires sooner already (changed since the refresh).
		return nil
	}
	if err != nil {
		diags.Append(apiErrorDiagnostic(action, err))
		return diags
	}
	r.keys.retire(saID, keyID, expiresAt)
	return nil
}

func (r *serviceAccountKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	saID, keyID, ok := strings.Cut(req.ID, "/")
	if !ok || checkID(saID, "sa_", "a service account id") != "" || checkID(keyID, "key_", "a key id") != "" {
		resp.Diagnostics.AddError("Invalid Import Id", fmt.Sprintf(
			"%q is not <service_account_id>/<key_id>. Import a key as: terraform import horizon_service_account_key.NAME sa_.../key_...", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), keyID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_account_id"), saID)...)
}

// keyCreateDiagnostic explains the key limit, the one create failure users hit
// in normal operation, and how to get past it.
func (r *serviceAccountKeyResource) keyCreateDiagnostic(saID, name string, err error) diag.Diagnostic {
	action := fmt.Sprintf("create API key %q for service account %s", name, saID)
	apiErr, ok := client.AsAPIError(err)
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	if apiErr.StatusCode == http.StatusNotFound && apiErr.Resource() == "service_account" {
		return diag.NewAttributeErrorDiagnostic(path.Root("service_account_id"), "Service Account Not Found", fmt.Sprintf(
			"Could not %s: the service account does not exist in Horizon (or the owner of the provider's API key may not see it). "+
				"Check service_account_id.", action))
	}
	limit, ok := apiErr.KeyLimit()
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	if limit.Limit == 0 {
		limit.Limit = client.MaxActiveKeysPerServiceAccount
	}
	active := make([]activeKey, len(limit.ActiveKeys))
	for i, k := range limit.ActiveKeys {
		active[i] = activeKey{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, ExpiresAt: derefOr(k.ExpiresAt, "")}
	}
	r.keys.markRetiring(saID, active)
	return diag.NewAttributeErrorDiagnostic(path.Root("service_account_id"), "Service Account Key Limit Reached", fmt.Sprintf(
		"Could not %s: service account %s already has %d active keys, the most Horizon allows (limit %d):\n%s\n"+
			"Two keys exist to allow zero-downtime rotation: the replacement is created while the old key still works, then the old key is revoked. "+
			"To proceed, either:\n"+
			"  1. keep at most one other active key for this account and rotate with lifecycle { create_before_destroy = true }, or\n"+
			"  2. revoke one of the keys above first (remove its horizon_service_account_key resource, or revoke it in Horizon), then apply again.\n"+
			"A key that expires, such as one in the grace period of an earlier rotation (grace_period), keeps its slot until it expires: "+
			"apply again after that, or revoke it in Horizon once its consumers use the new key.",
		action, saID, len(limit.ActiveKeys), limit.Limit, describeActiveKeys(active)))
}
