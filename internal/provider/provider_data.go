package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// providerData is what a configured provider hands its resources and data
// sources: the API client, and what the provider learns as it goes (its
// ledger of key changes, the roles of accounts), which lives as long as the
// provider process.
type providerData struct {
	client *client.Client
	keys   *keyLedger
	roles  *accountRoles
	me     *currentActor
}

func newProviderData(c *client.Client) *providerData {
	return &providerData{client: c, keys: newKeyLedger(), roles: newAccountRoles(), me: &currentActor{}}
}

// currentActor is the owner of the provider's key, asked of Horizon once per
// provider: the owner of personal keys, and who a key of a service account
// cannot be.
type currentActor struct {
	mu    sync.Mutex
	actor *client.Actor
}

func (a *currentActor) get(ctx context.Context, c *client.Client) (client.Actor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.actor == nil {
		me, err := c.Me(ctx)
		if err != nil {
			return client.Actor{}, err
		}
		a.actor = &me.Actor
	}
	return *a.actor, nil
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
