package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var _ list.ListResourceWithConfigure = (*serviceAccountList)(nil)

// serviceAccountList lists the organization's service accounts for terraform
// query. Metadata and Configure are the resource's, so the list has the
// resource's type name and the provider's client.
type serviceAccountList struct {
	serviceAccountResource
}

// NewServiceAccountList returns the horizon_service_account list resource.
func NewServiceAccountList() list.ListResource { return &serviceAccountList{} }

type serviceAccountListModel struct {
	NamePrefix types.String `tfsdk:"name_prefix"`
}

func (l *serviceAccountList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organization's service accounts, in the order they were created, for `terraform query`.",
		Attributes: map[string]schema.Attribute{
			"name_prefix": schema.StringAttribute{
				MarkdownDescription: "Only accounts whose name starts with this prefix (case-sensitive). Defaults to every account.",
				Optional:            true,
			},
		},
	}
}

func (l *serviceAccountList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var cfg serviceAccountListModel
	if diags := req.Config.Get(ctx, &cfg); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	prefix := cfg.NamePrefix.ValueString()
	stream(ctx, req, resp, serviceAccountIdentity, "list service accounts",
		l.client.AllServiceAccounts(ctx, pageSize(req.Limit)), listed[client.ServiceAccount]{
			include:     func(sa client.ServiceAccount) bool { return strings.HasPrefix(sa.Name, prefix) },
			displayName: func(sa client.ServiceAccount) string { return sa.Name },
			toState:     modelState((*serviceAccountModel).fromAPI),
		})
}
