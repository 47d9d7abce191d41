package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/names"
)

var (
	_ resource.ResourceWithConfigure   = (*serviceAccountResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*serviceAccountResource)(nil)
	_ resource.ResourceWithImportState = (*serviceAccountResource)(nil)
	_ resource.ResourceWithIdentity    = (*serviceAccountResource)(nil)
)

const maxDescriptionLength = 1024

type serviceAccountResource struct {
	withIdentity
	client *client.Client
	keys   *keyLedger
	roles  *accountRoles
}

// NewServiceAccountResource returns the horizon_service_account resource.
func NewServiceAccountResource() resource.Resource {
	return &serviceAccountResource{withIdentity: withIdentity{serviceAccountIdentity}}
}

type serviceAccountModel struct {
	ID             types.String `tfsdk:"id"`
	OrganizationID types.String `tfsdk:"organization_id"`
	Name           types.String `tfsdk:"name"`
	Description    types.String `tfsdk:"description"`
	Role           types.String `tfsdk:"role"`
	Disabled       types.Bool   `tfsdk:"disabled"`
	CreatedAt      types.String `tfsdk:"created_at"`
}

func (m *serviceAccountModel) fromAPI(sa *client.ServiceAccount) {
	m.ID = types.StringValue(sa.ID)
	m.OrganizationID = types.StringValue(sa.OrganizationID)
	m.Name = types.StringValue(sa.Name)
	m.Description = types.StringValue(sa.Description)
	m.Role = types.StringValue(sa.Role)
	m.Disabled = types.BoolValue(sa.Disabled)
	m.CreatedAt = types.StringValue(sa.CreatedAt)
}

func (r *serviceAccountResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account"
}

func (r *serviceAccountResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A service account: a non-human actor of the organization, such as a CI deployer or an agent. " +
			"It acts through its API keys (`horizon_service_account_key`) with its organization role and its server grants " +
			"(`horizon_server_grant`). Destroying it revokes all its keys and removes its grants at once.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Id of the service account (`sa_...`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"organization_id": schema.StringAttribute{
				MarkdownDescription: "Id of the organization the service account belongs to.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name, unique in the organization: " + serviceAccountName.rule + ". " +
					"Renaming updates the account in place; its keys keep working.",
				Required:   true,
				Validators: []validator.String{serviceAccountName.validator()},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Free-text description, at most %d characters. Defaults to empty.", maxDescriptionLength),
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          []validator.String{stringvalidator.LengthAtMost(maxDescriptionLength)},
			},
			"role": schema.StringAttribute{
				MarkdownDescription: "Organization role: " + quoteList(serviceAccountRoles) + ". Defaults to `" + defaultServiceAccountRole + "`, " +
					"the least privilege: a `viewer` reads, and discovers the servers its grants or the organization's `default_server_role` open, " +
					"but calls none of them, even with a `user` grant. An account that calls MCP servers needs `member` (with grants) or `admin`. " +
					"Service accounts can be at most `admin`, and no one can assign a role above their own.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(defaultServiceAccountRole),
				Validators: []validator.String{stringvalidator.OneOf(serviceAccountRoles...)},
			},
			"disabled": schema.BoolAttribute{
				MarkdownDescription: "Whether the account is disabled. A disabled account's keys are refused until it is enabled again; " +
					"nothing else changes. Defaults to `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the account was created (RFC 3339).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *serviceAccountResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if p := providerDataFrom(req.ProviderData, &resp.Diagnostics); p != nil {
		r.client, r.keys, r.roles = p.client, p.keys, p.roles
	}
}

func (r *serviceAccountResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan serviceAccountModel
	resp.Diagnostics.Append(readModel(ctx, req.Plan, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.applyingChanges()
	action := fmt.Sprintf("create service account %q", plan.Name.ValueString())
	ctx, cancel := uninterruptible(ctx)
	defer cancel()
	sa, err := r.client.CreateServiceAccount(ctx, client.CreateServiceAccountRequest{
		Name:        plan.Name.ValueString(),
		Description: plan.Description.ValueString(),
		Role:        plan.Role.ValueString(),
	})
	if err != nil {
		resp.Diagnostics.Append(r.diagnostic(ctx, action, plan.Name.ValueString(), "", err))
		return
	}
	// The account has no keys, and the role it was asked for: the plans of
	// keys and grants created with it in this apply need not ask Horizon.
	r.keys.ownerCreated(sa.ID)
	r.roles.learn(sa.ID, sa.Role)
	if plan.Disabled.ValueBool() {
		disabled := true
		updated, err := r.client.UpdateServiceAccount(ctx, sa.ID, client.UpdateServiceAccountRequest{Disabled: &disabled})
		if err != nil {
			// The account exists: keep it in state so the next apply finishes the job instead of duplicating it.
			plan.fromAPI(sa)
			resp.Diagnostics.Append(writeModel(ctx, &resp.State, plan)...)
			resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
			resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("disable new service account %s", sa.ID), err))
			return
		}
		sa = updated
	}
	plan.fromAPI(sa)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

// ModifyPlan changes nothing in the plan: it records the role the plan gives
// an account that exists, for the plans of its grants (accountRoles), which
// Terraform makes after this one.
func (r *serviceAccountResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, _ *resource.ModifyPlanResponse) {
	if r.roles == nil || req.Plan.Raw.IsNull() {
		return
	}
	var id, role types.String
	if req.Plan.GetAttribute(ctx, path.Root("id"), &id).HasError() || req.Plan.GetAttribute(ctx, path.Root("role"), &role).HasError() {
		return
	}
	if !id.IsUnknown() && !role.IsUnknown() {
		r.roles.learn(id.ValueString(), role.ValueString())
	}
}

// steadyPlan: an unchanged account's ModifyPlan only records its role, and
// its attributes' plan modifiers (UseStateForUnknown) change nothing known.
func (r *serviceAccountResource) steadyPlan(_ context.Context, state map[string]tftypes.Value) bool {
	var id, role string
	if r.roles != nil && state["id"].As(&id) == nil && state["role"].As(&role) == nil {
		r.roles.learn(id, role)
	}
	return true
}

func (r *serviceAccountResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state serviceAccountModel
	resp.Diagnostics.Append(readModel(ctx, req.State, &state)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, req.State, resp.Identity)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.planning()
	sa, err := r.client.GetServiceAccount(ctx, state.ID.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddWarning("Service Account Deleted Outside Terraform", fmt.Sprintf(
			"Service account %s (%q) no longer exists in Horizon, so Terraform will create it again. "+
				"Its keys were revoked and its grants removed with it.", state.ID.ValueString(), state.Name.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("read service account %s", state.ID.ValueString()), err))
		return
	}
	r.roles.learn(sa.ID, sa.Role)
	state.fromAPI(sa)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, state)...)
}

func (r *serviceAccountResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state serviceAccountModel
	resp.Diagnostics.Append(readModel(ctx, req.Plan, &plan)...)
	resp.Diagnostics.Append(readModel(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.applyingChanges()
	var patch client.UpdateServiceAccountRequest
	patch.Name = changedString(state.Name, plan.Name)
	patch.Description = changedString(state.Description, plan.Description)
	patch.Role = changedString(state.Role, plan.Role)
	if !plan.Disabled.Equal(state.Disabled) {
		v := plan.Disabled.ValueBool()
		patch.Disabled = &v
	}
	sa, err := r.client.UpdateServiceAccount(ctx, state.ID.ValueString(), patch)
	if err != nil {
		resp.Diagnostics.Append(r.diagnostic(ctx, fmt.Sprintf("update service account %s", state.ID.ValueString()), plan.Name.ValueString(), state.ID.ValueString(), err))
		return
	}
	r.roles.learn(sa.ID, sa.Role)
	plan.fromAPI(sa)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

func (r *serviceAccountResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state serviceAccountModel
	resp.Diagnostics.Append(readModel(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.keys.applyingChanges()
	err := r.client.DeleteServiceAccount(ctx, state.ID.ValueString())
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(apiErrorDiagnostic(fmt.Sprintf("delete service account %s", state.ID.ValueString()), err))
	}
}

// diagnostic adds the service-account specific advice to apiErrorDiagnostic:
// a name that another account has, named by its id. self is the id of the
// account being updated, "" for a create.
func (r *serviceAccountResource) diagnostic(ctx context.Context, action, name, self string, err error) diag.Diagnostic {
	apiErr, ok := client.AsAPIError(err)
	if !ok || apiErr.Code != api.CodeNameConflict {
		return apiErrorDiagnostic(action, err)
	}
	n := nameTaken{attribute: "name", summary: "Service Account Name Taken", action: action, noun: "service account", updating: self != ""}
	if accounts, err := r.client.ListServiceAccounts(ctx); err == nil {
		for _, sa := range accounts {
			// Horizon compares names folded: the holder may spell it otherwise.
			if names.Fold(sa.Name) == names.Fold(name) && sa.ID != self {
				n.holder = sa.ID
				if sa.Name != name {
					n.lookalike = sa.Name
				}
			}
		}
	}
	return nameTakenDiagnostic(n)
}

// changedString returns the planned value when it differs from the state, for a PATCH body.
func changedString(state, plan types.String) *string {
	if plan.Equal(state) || plan.IsUnknown() {
		return nil
	}
	v := plan.ValueString()
	return &v
}
