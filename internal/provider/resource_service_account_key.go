package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
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

// activeKeyLimit is Horizon's limit of active keys per service account.
const activeKeyLimit = 2

const maxKeyNameLength = 128

type serviceAccountKeyResource struct {
	client *client.Client
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
			"(protect the state accordingly). A service account can hold at most " + fmt.Sprint(activeKeyLimit) + " active keys, " +
			"which is exactly what zero-downtime rotation needs: use `lifecycle { create_before_destroy = true }` so the " +
			"replacement exists before the old key is revoked. Destroying the resource revokes the key immediately.",
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
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
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
				ElementType:   types.StringType,
				Optional:      true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "The key's secret (`fmcp_...`), to send as `Authorization: Bearer <secret>`. Known only to the " +
					"apply that created the key; null after `terraform import`, because Horizon never shows a secret twice.",
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
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses a renew_before that is not shorter than ttl: every plan
// would then replace the key it just created.
func (r *serviceAccountKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	ttl, renew := configString(ctx, req.Config, "ttl"), configString(ctx, req.Config, "renew_before")
	if ttl.IsNull() || ttl.IsUnknown() || renew.IsNull() || renew.IsUnknown() {
		return
	}
	dt, errT := time.ParseDuration(ttl.ValueString())
	dr, errR := time.ParseDuration(renew.ValueString())
	if errT == nil && errR == nil && dr >= dt {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before"), "Renewal Window Too Long", fmt.Sprintf(
			"renew_before (%s) must be shorter than ttl (%s), or every plan would replace the key it just created. "+
				"A common choice is a quarter of ttl, such as ttl = \"720h\" with renew_before = \"168h\".", renew.ValueString(), ttl.ValueString()))
	}
}

// ModifyPlan decides, in one place, what a plan does with a key:
//   - a create plans an active key, whose expires_at is the configured time, or
//     unknown (set by Horizon from ttl), or null;
//   - a key that is no longer active (revoked or expired) is replaced, with a
//     warning that says which and when, instead of being dropped from state;
//   - a key within renew_before of its expiry (by Horizon's clock) is replaced,
//     with a warning;
//   - expires_at changes (including to or from a ttl) replace the key, but a new
//     spelling of the same instant does not;
//   - a create that would exceed the two-key limit is warned about at plan time.
//
// Terraform honours RequiresReplace only for attributes whose planned value
// differs from the state, so each replacement reason also changes a value: status
// becomes "active", or expires_at becomes unknown.
func (r *serviceAccountKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.unchangedActiveKey(ctx, req) {
		return
	}
	var plan serviceAccountKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	now := r.now()
	if req.State.Raw.IsNull() {
		r.planCreate(ctx, &plan, configString(ctx, req.Config, "expires_at"), now, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
		return
	}
	var state serviceAccountKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	replace := func(attribute string) { resp.RequiresReplace = append(resp.RequiresReplace, path.Root(attribute)) }
	who := fmt.Sprintf("API key %s (%q) of service account %s", state.ID.ValueString(), state.Name.ValueString(), state.ServiceAccountID.ValueString())

	plan.Status, plan.RevokedAt = state.Status, state.RevokedAt
	switch state.Status.ValueString() {
	case client.KeyStatusRevoked:
		plan.Status, plan.RevokedAt = types.StringValue(client.KeyStatusActive), types.StringNull()
		replace("status")
		resp.Diagnostics.AddWarning("API Key Revoked Outside Terraform", fmt.Sprintf(
			"%s was revoked at %s, outside Terraform. It no longer authenticates, so Terraform plans a replacement key with a new secret.",
			who, orUnknown(state.RevokedAt)))
	case client.KeyStatusExpired:
		plan.Status = types.StringValue(client.KeyStatusActive)
		replace("status")
		resp.Diagnostics.AddWarning("API Key Expired", fmt.Sprintf(
			"%s expired at %s. It no longer authenticates, so Terraform plans a replacement key with a new secret. "+
				"If expires_at is set in the configuration, set a new time in the future (or use ttl).",
			who, orUnknown(state.ExpiresAt)))
	}

	// The configuration, not the plan, says what the user asked for: Terraform
	// copies the state into an Optional+Computed attribute that is not configured.
	configured := configString(ctx, req.Config, "expires_at")
	switch {
	case configured.IsUnknown():
		plan.ExpiresAt = types.StringUnknown()
		replace("expires_at")
	case !configured.IsNull():
		if sameInstant(configured, state.ExpiresAt) {
			plan.ExpiresAt = state.ExpiresAt
		} else {
			plan.ExpiresAt = configured
			replace("expires_at")
		}
	case !plan.TTL.IsNull():
		// A ttl that is unchanged, or newly written for a key that already has an
		// expiry (an imported key), keeps the key; any other change makes a new one.
		if !state.ExpiresAt.IsNull() && (state.TTL.IsNull() || sameDuration(state.TTL, plan.TTL)) {
			plan.ExpiresAt = state.ExpiresAt
		} else {
			plan.ExpiresAt = types.StringUnknown()
			replace("expires_at")
		}
	default:
		plan.ExpiresAt = types.StringNull()
		if !state.ExpiresAt.IsNull() {
			replace("expires_at")
		}
	}

	if plan.Status.ValueString() == client.KeyStatusActive && state.Status.ValueString() == client.KeyStatusActive {
		if due, at := renewalDue(plan, now); due {
			plan.ExpiresAt = types.StringUnknown()
			replace("expires_at")
			resp.Diagnostics.AddWarning("API Key Due for Renewal", fmt.Sprintf(
				"%s expires at %s, which is within renew_before (%s) of now (%s by Horizon's clock), so Terraform plans a replacement key. "+
					"With lifecycle { create_before_destroy = true }, the new key is created before this one is revoked.",
				who, state.ExpiresAt.ValueString(), plan.RenewBefore.ValueString(), at.Format(time.RFC3339)))
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
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

// planCreate fills in what a new key will look like, and checks what can only be
// checked against Horizon: an expiry in the past, and the two-key limit.
func (r *serviceAccountKeyResource) planCreate(ctx context.Context, plan *serviceAccountKeyModel, configured types.String, now time.Time, diags *diag.Diagnostics) {
	plan.Status, plan.RevokedAt = types.StringValue(client.KeyStatusActive), types.StringNull()
	plan.ExpiresAt = configured
	switch {
	case !plan.TTL.IsNull():
		plan.ExpiresAt = types.StringUnknown()
	case configured.IsUnknown() || configured.IsNull():
	default:
		if at, err := time.Parse(time.RFC3339, plan.ExpiresAt.ValueString()); err == nil && !at.After(now) {
			diags.AddAttributeError(path.Root("expires_at"), "Expiry In the Past", fmt.Sprintf(
				"expires_at %s is not in the future (Horizon's time is %s), so a key created now would never work. "+
					"Set a time in the future, or use ttl to have Horizon compute the expiry at creation.",
				plan.ExpiresAt.ValueString(), now.Format(time.RFC3339)))
		}
	}
	r.warnKeyLimit(ctx, plan.ServiceAccountID, plan.Name.ValueString(), diags)
}

// warnKeyLimit tells, at plan time, that a create will hit the two-key limit
// unless this same apply revokes a key first. It cannot see the rest of the plan,
// so it says which orders of operation work.
func (r *serviceAccountKeyResource) warnKeyLimit(ctx context.Context, saID types.String, name string, diags *diag.Diagnostics) {
	if r.client == nil || saID.IsUnknown() || saID.IsNull() {
		return
	}
	if r.client.CreatedServiceAccount(saID.ValueString()) {
		// This is the apply-time plan of a key whose account this same apply has
		// just created: the account started with no keys, and the plan shown to
		// the user had no id to ask about. A configuration that gives it more keys
		// than the limit fails at the create, with the active keys listed.
		return
	}
	keys, err := r.client.ListAPIKeys(ctx, saID.ValueString())
	if err != nil {
		tflog.Debug(ctx, "Could not list keys to check the two-key limit at plan time", map[string]any{"error": err.Error()})
		return
	}
	var active []client.KeySketch
	for _, k := range keys {
		if k.Status == client.KeyStatusActive {
			active = append(active, client.KeySketch{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt})
		}
	}
	if len(active) < activeKeyLimit {
		return
	}
	diags.AddAttributeWarning(path.Root("service_account_id"), "Service Account Key Limit Will Be Reached", fmt.Sprintf(
		"Creating API key %q needs a free slot, but service account %s already has %d active keys, the most Horizon allows (limit %d):\n%s\n"+
			"The create succeeds only if this apply revokes one of them first: a replacement without create_before_destroy, "+
			"or the destroy of another key of this account. With create_before_destroy, revoke one of these keys before applying.",
		name, saID.ValueString(), len(active), activeKeyLimit, describeKeys(active)))
}

// describeKeys lists keys one per line, for diagnostics about the key limit.
func describeKeys(keys []client.KeySketch) string {
	var b strings.Builder
	for _, k := range keys {
		expires := "never expires"
		if k.ExpiresAt != nil {
			expires = "expires " + *k.ExpiresAt
		}
		fmt.Fprintf(&b, "  - %s (%q), created %s, %s\n", k.ID, k.Name, k.CreatedAt, expires)
	}
	return b.String()
}

// renewalDue tells whether now is within renew_before of the key's expiry.
func renewalDue(m serviceAccountKeyModel, now time.Time) (bool, time.Time) {
	if m.RenewBefore.IsNull() || m.RenewBefore.IsUnknown() || m.ExpiresAt.IsNull() || m.ExpiresAt.IsUnknown() {
		return false, now
	}
	before, errD := time.ParseDuration(m.RenewBefore.ValueString())
	expires, errT := time.Parse(time.RFC3339, m.ExpiresAt.ValueString())
	if errD != nil || errT != nil {
		return false, now
	}
	return !now.Before(expires.Add(-before)), now
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

func sameDuration(a, b types.String) bool {
	if a.IsNull() || a.IsUnknown() || b.IsNull() || b.IsUnknown() {
		return false
	}
	da, errA := time.ParseDuration(a.ValueString())
	db, errB := time.ParseDuration(b.ValueString())
	return errA == nil && errB == nil && da == db
}

func sameInstant(a, b types.String) bool {
	if a.IsNull() || a.IsUnknown() || b.IsNull() || b.IsUnknown() {
		return false
	}
	ta, errA := time.Parse(time.RFC3339, a.ValueString())
	tb, errB := time.Parse(time.RFC3339, b.ValueString())
	return errA == nil && errB == nil && ta.Equal(tb)
}

func orUnknown(v types.String) string {
	if v.IsNull() || v.IsUnknown() {
		return "an unknown time"
	}
	return v.ValueString()
}

func (r *serviceAccountKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan serviceAccountKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	saID := plan.ServiceAccountID.ValueString()
	body := client.CreateAPIKeyRequest{Name: plan.Name.ValueString()}
	if !plan.TTL.IsNull() {
		ttl, err := time.ParseDuration(plan.TTL.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("ttl"), "Invalid Duration", checkDuration(plan.TTL.ValueString(), minTTL, maxTTL))
			return
		}
		seconds := int64(ttl / time.Second)
		body.TTLSeconds = &seconds
	} else {
		body.ExpiresAt = plan.ExpiresAt.ValueStringPointer()
	}
	ctx, cancel := uninterruptible(ctx)
	defer cancel()
	key, err := r.client.CreateAPIKey(ctx, saID, body)
	if err != nil {
		resp.Diagnostics.Append(keyCreateDiagnostic(saID, plan.Name.ValueString(), err))
		return
	}
	plan.fromAPI(key)
	plan.Secret = types.StringValue(key.Secret)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *serviceAccountKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state serviceAccountKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
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

func (r *serviceAccountKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state serviceAccountKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Only name can change in place; every other configurable attribute forces a new key.
	key, err := r.client.UpdateAPIKey(ctx, state.ServiceAccountID.ValueString(), state.ID.ValueString(),
		client.UpdateAPIKeyRequest{Name: plan.Name.ValueStringPointer()})
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("rename API key %s of service account %s",
			state.ID.ValueString(), state.ServiceAccountID.ValueString()), err))
		return
	}
	plan.fromAPI(key)
	plan.Secret = state.Secret
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *serviceAccountKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state serviceAccountKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, err := r.client.RevokeAPIKey(ctx, state.ServiceAccountID.ValueString(), state.ID.ValueString())
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("revoke API key %s of service account %s",
			state.ID.ValueString(), state.ServiceAccountID.ValueString()), err))
	}
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

// keyCreateDiagnostic explains the two-key limit, the one create failure users
// hit in normal operation, and how to get past it.
func keyCreateDiagnostic(saID, name string, err error) diag.Diagnostic {
	action := fmt.Sprintf("create API key %q for service account %s", name, saID)
	apiErr, ok := client.AsAPIError(err)
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	limit, ok := apiErr.KeyLimit()
	if !ok {
		return apiErrorDiagnostic(action, err)
	}
	if limit.Limit == 0 {
		limit.Limit = activeKeyLimit
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("service_account_id"), "Service Account Key Limit Reached", fmt.Sprintf(
		"Could not %s: service account %s already has %d active keys, the most Horizon allows (limit %d):\n%s\n"+
			"Two keys exist to allow zero-downtime rotation: the replacement is created while the old key still works, then the old key is revoked. "+
			"To proceed, either:\n"+
			"  1. keep at most one other active key for this account and rotate with lifecycle { create_before_destroy = true }, or\n"+
			"  2. revoke one of the keys above first (remove its horizon_service_account_key resource, or revoke it in Horizon), then apply again.",
		action, saID, len(limit.ActiveKeys), limit.Limit, describeKeys(limit.ActiveKeys)))
}
