package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

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

func (l *serverGrantList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = ofServiceAccountSchema("Lists the server grants of a service account, by server id, for `terraform query`. "+
		"Grants on servers that the owner of the provider's key may not discover are left out, as Horizon conceals those servers.", "grants")
}

func (l *serverGrantList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	saID, ok := configuredServiceAccount(ctx, req, resp)
	if !ok {
		return
	}
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
