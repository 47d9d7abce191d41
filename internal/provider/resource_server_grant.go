package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var (
	_ resource.ResourceWithConfigure   = (*serverGrantResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*serverGrantResource)(nil)
	_ resource.ResourceWithImportState = (*serverGrantResource)(nil)
	_ resource.ResourceWithIdentity    = (*serverGrantResource)(nil)
)

type serverGrantResource struct {
	withIdentity
	client *client.Client
	roles  *accountRoles
}

// NewServerGrantResource returns the horizon_server_grant resource.
func NewServerGrantResource() resource.Resource {
	return &serverGrantResource{withIdentity: withIdentity{serverGrantIdentity}}
}

type serverGrantModel struct {
	ID               types.String `tfsdk:"id"`
	ServiceAccountID types.String `tfsdk:"service_account_id"`
	ServerID         types.String `tfsdk:"server_id"`
	Role             types.String `tfsdk:"role"`
	Capabilities     types.Set    `tfsdk:"capabilities"`
}

func (m *serverGrantModel) fromAPI(ctx context.Context, g *client.ServerGrant) diag.Diagnostics {
	m.ID = types.StringValue(g.ServiceAccountID + "/" + g.ServerID)
	m.ServiceAccountID = types.StringValue(g.ServiceAccountID)
	m.ServerID = types.StringValue(g.ServerID)
	m.Role = types.StringValue(g.Role)
	var diags diag.Diagnostics
	m.Capabilities, diags = types.SetValueFrom(ctx, types.StringType, g.Capabilities)
	return diags
}

func (m *serverGrantModel) request(ctx context.Context) (client.PutServerGrantRequest, diag.Diagnostics) {
	var capabilities []string
	diags := m.Capabilities.ElementsAs(ctx, &capabilities, false)
	return client.PutServerGrantRequest{Role: m.Role.ValueString(), Capabilities: &capabilities}, diags
}

func allCapabilities() types.Set {
	values := make([]attr.Value, len(api.Capabilities))
	for i, c := range api.Capabilities {
		values[i] = types.StringValue(c)
	}
	return types.SetValueMust(types.StringType, values)
}

func (r *serverGrantResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server_grant"
}

func (r *serverGrantResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Gives a service account a role on one MCP server, and the MCP capabilities it may use there. " +
			"Without a grant, the organization's `default_server_role` applies; organization owners and admins reach every server " +
			"as `admin`, so a grant on an `admin` account changes nothing, and the plan warns about it. " +
			"Changes take effect on the account's next request, for every one of its keys.\n\n" +
			"Creating a grant never takes over one that exists: when the account already has a grant on the server " +
			"(made by hand, or managed by another configuration), the apply changes nothing and fails with an error " +
			"that says how to import it (`<service_account_id>/<server_id>`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<service_account_id>/<server_id>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"service_account_id": schema.StringAttribute{
				MarkdownDescription: "Id of the service account (`sa_...`) that receives the grant. Changing it creates a new grant.",
				Required:            true,
				Validators:          []validator.String{idValidator("sa_", "a service account id")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"server_id": schema.StringAttribute{
				MarkdownDescription: "Id of the server (`srv_...`), for example from the `horizon_server` data source. Changing it creates a new grant.",
				Required:            true,
				Validators:          []validator.String{idValidator("srv_", "a server id")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"role": schema.StringAttribute{
				MarkdownDescription: "Role on the server: `viewer` may discover it, `user` may also call its MCP endpoint, " +
					"`admin` may also manage it. One of " + quoteList(serverGrantRoles) + ". Updates in place.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(serverGrantRoles...)},
			},
			"capabilities": schema.SetAttribute{
				MarkdownDescription: "MCP capabilities the account may use on the server: any of " + quoteList(api.Capabilities) +
					" (`tools/*` methods need `tools`, and so on). Defaults to all three. Updates in place.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     setdefault.StaticValue(allCapabilities()),
				Validators: []validator.Set{
					capabilitiesNotEmpty{},
					setvalidator.ValueStringsAre(stringvalidator.OneOf(api.Capabilities...)),
				},
			},
		},
	}
}

func (r *serverGrantResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if p := providerDataFrom(req.ProviderData, &resp.Diagnostics); p != nil {
		r.client, r.roles = p.client, p.roles
	}
}

// ModifyPlan warns about a grant that changes nothing: an organization admin
// holds admin on every server, whatever its grants. Only a plan that creates
// or changes a grant looks, and the account's role comes from what this
// provider already knows (an account it created, read or planned in this run)
// or from one read of the account, so refreshes and applies of accounts
// created with their grants make no request for it.
func (r *serverGrantResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.roles == nil || req.Plan.Raw.IsNull() || unchangedPlan(req) && r.steadyPlan(ctx, stateAttributes(req)) {
		return
	}
	var saID types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("service_account_id"), &saID)...)
	if resp.Diagnostics.HasError() || saID.IsUnknown() {
		return
	}
	role, err := r.roles.lookup(ctx, r.client, saID.ValueString())
	switch {
	case errors.Is(err, client.ErrNotFound):
		resp.Diagnostics.AddAttributeError(path.Root("service_account_id"), "Service Account Not Found", fmt.Sprintf(
			"Service account %s does not exist in Horizon, so no grant can be made for it. Check service_account_id: "+
				"refer to a horizon_service_account resource, or look the account up with the horizon_service_account data source.",
			saID.ValueString()))
	case err != nil:
		// The apply will meet the same failure and report it; a plan-time warning is not worth failing the plan for.
		tflog.Debug(ctx, "Could not read the grant's service account to check its role at plan time", map[string]any{"error": err.Error()})
	case seesEveryServer(role):
		resp.Diagnostics.AddAttributeWarning(path.Root("service_account_id"), "Grant Has No Effect", fmt.Sprintf(
			"Service account %s has the organization role %q, which holds admin on every server whatever its grants, "+
				"so this grant gives it nothing; it would take effect only if the account's role were lowered to member or viewer. "+
				"Remove the grant, or give the account the role member (or viewer) so that it reaches only the servers it is granted.",
			saID.ValueString(), role))
	}
}

// steadyPlan: ModifyPlan looks at the account's role only for a grant that
// changes, and the attributes' plan modifiers (UseStateForUnknown,
// RequiresReplace) change nothing when the plan is the state.
func (*serverGrantResource) steadyPlan(context.Context, map[string]tftypes.Value) bool { return true }

// Create only creates: a grant that already exists for the pair (made by hand,
// or managed by another configuration) is an error that says how to import
// it, never taken over.
func (r *serverGrantResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.put(ctx, req.Plan, &resp.State, &resp.Diagnostics, "create")
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

// Update replaces the grant's role and capabilities.
func (r *serverGrantResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.put(ctx, req.Plan, &resp.State, &resp.Diagnostics, "update")
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.State, resp.Identity)...)
}

func (r *serverGrantResource) put(ctx context.Context, plan planGetter, state stateSetter, diags *diag.Diagnostics, verb string) {
	var m serverGrantModel
	diags.Append(readModel(ctx, plan, &m)...)
	if diags.HasError() {
		return
	}
	body, d := m.request(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	saID, serverID := m.ServiceAccountID.ValueString(), m.ServerID.ValueString()
	write := r.client.PutServerGrant
	if verb == "create" {
		write = r.client.CreateServerGrant
	}
	g, err := write(ctx, saID, serverID, body)
	action := fmt.Sprintf("%s the grant of service account %s on server %s", verb, saID, serverID)
	if errors.Is(err, client.ErrGrantExists) {
		diags.Append(grantExistsDiagnostic(action, saID, serverID))
		return
	}
	if err != nil {
		diags.Append(grantDiagnostic(action, err))
		return
	}
	diags.Append(m.fromAPI(ctx, g)...)
	diags.Append(writeModel(ctx, state, m)...)
}

func (r *serverGrantResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m serverGrantModel
	resp.Diagnostics.Append(readModel(ctx, req.State, &m)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, req.State, resp.Identity)...)
	if resp.Diagnostics.HasError() {
		return
	}
	saID, serverID := m.ServiceAccountID.ValueString(), m.ServerID.ValueString()
	action := fmt.Sprintf("read the grant of service account %s on server %s", saID, serverID)
	g, err := r.client.GetServerGrant(ctx, saID, serverID)
	if errors.Is(err, client.ErrNotFound) {
		if gone := r.grantGone(ctx, err, action, &resp.Diagnostics); gone {
			resp.Diagnostics.AddWarning("Server Grant Deleted Outside Terraform", fmt.Sprintf(
				"The grant of service account %s on server %s no longer exists in Horizon (or the account or server was deleted), "+
					"so Terraform will create it again.", saID, serverID))
			resp.State.RemoveResource(ctx)
		}
		return
	}
	if err != nil {
		resp.Diagnostics.Append(grantDiagnostic(action, err))
		return
	}
	resp.Diagnostics.Append(m.fromAPI(ctx, g)...)
	resp.Diagnostics.Append(writeModel(ctx, &resp.State, m)...)
}

// grantGone decides what a 404 on a grant means: a 404 about the server is
// decided by serverGone, any other 404 means the grant is gone.
func (r *serverGrantResource) grantGone(ctx context.Context, err error, action string, diags *diag.Diagnostics) bool {
	apiErr, _ := client.AsAPIError(err)
	if apiErr == nil || apiErr.Resource() != "server" {
		return true
	}
	return serverGone(ctx, r.client, action, diags)
}

func (r *serverGrantResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m serverGrantModel
	resp.Diagnostics.Append(readModel(ctx, req.State, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	saID, serverID := m.ServiceAccountID.ValueString(), m.ServerID.ValueString()
	err := r.client.DeleteServerGrant(ctx, saID, serverID)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(grantDiagnostic(fmt.Sprintf("delete the grant of service account %s on server %s", saID, serverID), err))
	}
}

// grantExistsDiagnostic is a create that found a grant in place: it says how
// to import it.
func grantExistsDiagnostic(action, saID, serverID string) diag.Diagnostic {
	id := saID + "/" + serverID
	return diag.NewErrorDiagnostic("Server Grant Already Exists", fmt.Sprintf(
		"Could not %s: the account already has a grant on this server, made outside this resource "+
			"(by hand, by another configuration, or by another resource for the same account and server), "+
			"and Terraform does not take over a grant it did not create. Nothing was changed.\n\n"+
			"To manage that grant here, import it: terraform import <this resource's address> %s, "+
			"or an import block with id = %q. To leave it to whoever manages it, remove this resource.",
		action, id, id))
}

// grantDiagnostic names the missing object of a 404 on a grant write.
func grantDiagnostic(action string, err error) diag.Diagnostic {
	if apiErr, ok := client.AsAPIError(err); ok && apiErr.StatusCode == http.StatusNotFound {
		switch apiErr.Resource() {
		case "service_account":
			return diag.NewAttributeErrorDiagnostic(path.Root("service_account_id"), "Service Account Not Found",
				fmt.Sprintf("Could not %s: the service account does not exist. Check service_account_id.", action))
		case "server":
			return diag.NewAttributeErrorDiagnostic(path.Root("server_id"), "Server Not Found", fmt.Sprintf(
				"Could not %s: the server does not exist, or the owner of the provider's API key may not discover it. "+
					"Check server_id, for example with the horizon_servers data source.", action))
		}
	}
	return apiErrorDiagnostic(action, err)
}

// capabilitiesNotEmpty refuses an empty set of capabilities, as Horizon does,
// and says what the user who wrote one most likely wants: no access at all,
// which is no grant.
type capabilitiesNotEmpty struct{}

func (capabilitiesNotEmpty) Description(context.Context) string {
	return "value must hold at least one capability"
}

func (v capabilitiesNotEmpty) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (capabilitiesNotEmpty) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || len(req.ConfigValue.Elements()) > 0 {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "No Capabilities", fmt.Sprintf(
		"capabilities is empty, but a grant allows at least one of %s. To take the account's access to this server away, "+
			"delete the grant (remove this horizon_server_grant resource); to allow all three, leave capabilities out.",
		strings.Join(api.Capabilities, ", ")))
}
