package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var _ list.ListResourceWithConfigure = (*serverList)(nil)

// serverList lists the servers for terraform query; Metadata and Configure
// are the resource's.
type serverList struct {
	serverResource
}

// NewServerList returns the horizon_server list resource.
func NewServerList() list.ListResource { return &serverList{} }

func (l *serverList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organization's servers that the owner of the provider's key may discover (every server, " +
			"for an organization admin or owner), in the order they were created, for `terraform query`.",
	}
}

func (l *serverList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	stream(ctx, req, resp, serverIdentity, "list servers", l.client.AllServers(ctx, pageSize(req.Limit)), listed[client.Server]{
		displayName: func(s client.Server) string { return fmt.Sprintf("%s (%s)", s.Name, s.Slug) },
		toState:     modelState((*serverResourceModel).fromAPI),
	})
}
