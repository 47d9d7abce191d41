package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

var _ list.ListResourceWithConfigure = (*serviceAccountKeyList)(nil)

// serviceAccountKeyList lists the active keys of a service account for
// terraform query; Metadata and Configure are the resource's.
type serviceAccountKeyList struct {
	apiKeyResource
}

// NewServiceAccountKeyList returns the horizon_service_account_key list resource.
func NewServiceAccountKeyList() list.ListResource {
	return &serviceAccountKeyList{apiKeyResource{owner: serviceAccountKeys{}}}
}

func (l *serviceAccountKeyList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = ofServiceAccountSchema("Lists the active API keys of a service account, oldest first, for `terraform query`. "+
		"Keys that are revoked or expired are left out: they no longer authenticate, and Terraform would plan to replace them. "+
		"Horizon never shows a secret again, so a listed key's `secret` is null, and configuration generated from the list "+
		"carries none.", "keys")
}

func (l *serviceAccountKeyList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	saID, ok := configuredServiceAccount(ctx, req, resp)
	if !ok {
		return
	}
	stream(ctx, req, resp, serviceAccountKeyIdentity, "list the API keys of service account "+saID,
		l.client.AllAPIKeys(ctx, saID, pageSize(req.Limit)), listed[client.APIKey]{
			include:     func(k client.APIKey) bool { return k.Status == api.KeyStatusActive },
			displayName: func(k client.APIKey) string { return fmt.Sprintf("%s (%s)", k.Name, k.MaskedSecret) },
			toState: modelState(func(m *serviceAccountKeyModel, k *client.APIKey) {
				m.ServiceAccountID = types.StringValue(k.ServiceAccountID)
				m.fromAPI(k)
			}),
		})
}
