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
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = (*serviceAccountKeyResource)(nil)
	_ resource.ResourceWithImportState = (*serviceAccountKeyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*serviceAccountKeyResource)(nil)
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
					"Omit it for a key that does not expire. Changing it creates a new key. An expired key is planned for replacement.",
				Optional:      true,
				Validators:    []validator.String{rfc3339Validator()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
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

// ModifyPlan makes a create plan say what it will produce (an active, unrevoked
// key) and turns a key that is no longer active into a replacement with a warning,
// rather than dropping it from state or failing.
func (r *serviceAccountKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	active := types.StringValue(client.KeyStatusActive)
	if req.State.Raw.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), active)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("revoked_at"), types.StringNull())...)
		return
	}
	var state serviceAccountKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	status := state.Status.ValueString()
	if status == client.KeyStatusActive || state.Status.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), state.Status)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("revoked_at"), state.RevokedAt)...)
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), active)...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("revoked_at"), types.StringNull())...)
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("status"))
	who := fmt.Sprintf("API key %s (%q) of service account %s", state.ID.ValueString(), state.Name.ValueString(), state.ServiceAccountID.ValueString())
	switch status {
	case client.KeyStatusRevoked:
		resp.Diagnostics.AddWarning("API Key Revoked Outside Terraform", fmt.Sprintf(
			"%s was revoked at %s, outside Terraform. It no longer authenticates, so Terraform plans a replacement key with a new secret.",
			who, orUnknown(state.RevokedAt)))
	default:
		resp.Diagnostics.AddWarning("API Key Expired", fmt.Sprintf(
			"%s expired at %s. It no longer authenticates, so Terraform plans a replacement key with a new secret. "+
				"If expires_at is set in the configuration, set a new time in the future.",
			who, orUnknown(state.ExpiresAt)))
	}
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
	key, err := r.client.CreateAPIKey(ctx, saID, client.CreateAPIKeyRequest{
		Name:      plan.Name.ValueString(),
		ExpiresAt: plan.ExpiresAt.ValueStringPointer(),
	})
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
	var active strings.Builder
	for _, k := range limit.ActiveKeys {
		expires := "never expires"
		if k.ExpiresAt != nil {
			expires = "expires " + *k.ExpiresAt
		}
		fmt.Fprintf(&active, "  - %s (%q), created %s, %s\n", k.ID, k.Name, k.CreatedAt, expires)
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("service_account_id"), "Service Account Key Limit Reached", fmt.Sprintf(
		"Could not %s: service account %s already has %d active keys, the most Horizon allows (limit %d):\n%s\n"+
			"Two keys exist to allow zero-downtime rotation: the replacement is created while the old key still works, then the old key is revoked. "+
			"To proceed, either:\n"+
			"  1. keep at most one other active key for this account and rotate with lifecycle { create_before_destroy = true }, or\n"+
			"  2. revoke one of the keys above first (remove its horizon_service_account_key resource, or revoke it in Horizon), then apply again.",
		action, saID, len(limit.ActiveKeys), limit.Limit, active.String()))
}
