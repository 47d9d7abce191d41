package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// providerData is what a configured provider hands its resources and data
// sources: the API client, and the provider's own ledger of key changes,
// which lives as long as the provider process.
type providerData struct {
	client *client.Client
	keys   *keyLedger
}

// providerDataFrom extracts the configured provider's data; nil before the
// provider is configured (validation), when the framework calls Configure
// again later.
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	p, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data", fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
	}
	return p
}

// clientFrom extracts the configured API client.
func clientFrom(data any, diags *diag.Diagnostics) *client.Client {
	if p := providerDataFrom(data, diags); p != nil {
		return p.client
	}
	return nil
}
