package provider

import (
	"sync"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// A role the provider learnt costs no request; one it did not is read once,
// however many grants of the account ask at the same time.
func TestAccountRoles(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	sa, err := env.api.CreateServiceAccount(t.Context(), client.CreateServiceAccountRequest{Name: "asked", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	roles := newAccountRoles()
	roles.learn("sa_aaaaaaaaaaaaaaaa", "member")
	before := env.srv.RequestCount()
	if role, err := roles.lookup(t.Context(), env.api, "sa_aaaaaaaaaaaaaaaa"); err != nil || role != "member" {
		t.Errorf("learnt role = %q, %v; want member", role, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if role, err := roles.lookup(t.Context(), env.api, sa.ID); err != nil || role != "admin" {
				t.Errorf("read role = %q, %v; want admin", role, err)
			}
		})
	}
	wg.Wait()
	if got := env.srv.RequestCount() - before; got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}
