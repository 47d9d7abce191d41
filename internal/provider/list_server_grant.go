package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var _ list.ListResourceWithConfigure = (*serverGrantList)(nil)

// serverGrantList lists the server grants of a service account for terraform
// query; Metadata and Configure are the resource's.
type serverGrantList struct {
	serverGrantResource
}

// NewServerGrantList returns the horizon_server_grant list resource.
func NewServerGrantList() list.ListResource { return &serverGrantList{} }

type serverGrantListModel struct {
	ServiceAccountID types.String `tfsdk:"service_account_id"`
}

func (l *serverGrantList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the server grants of a service account, by server id, for `terraform query`. " +
			"Grants on servers that the owner of the provider's key may not discover are left out, as Horizon conceals those servers.",
		Attributes: map[string]schema.Attribute{
			"service_account_id": schema.StringAttribute{
				MarkdownDescription: "Id of the service account (`sa_...`) whose grants to list.",
				Required:            true,
				Validators:          []validator.String{idValidator("sa_", "a service account id")},
			},
		},
	}
}

func (l *serverGrantList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var cfg serverGrantListModel
	if diags := req.Config.Get(ctx, &cfg); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	saID := cfg.ServiceAccountID.ValueString()
	stream(ctx, req, resp, serverGrantIdentity, "list the server grants of service account "+saID,
		l.client.AllServerGrants(ctx, saID, pageSize(req.Limit)), listed[client.ServerGrant]{
			displayName: func(g client.ServerGrant) string {
				return fmt.Sprintf("%s on %s (%s)", g.Role, g.ServerID, strings.Join(g.Capabilities, ", "))
			},
			toState: func(ctx context.Context, g client.ServerGrant, r *tfsdk.Resource) diag.Diagnostics {
				var m serverGrantModel
				diags := r.Get(ctx, &m)
				diags.Append(m.fromAPI(ctx, &g)...)
				diags.Append(r.Set(ctx, m)...)
				return diags
			},
		})
}
