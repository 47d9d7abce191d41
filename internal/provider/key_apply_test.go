package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
)

// create runs the key resource's Create for planned, as Terraform's apply does.
func create(t *testing.T, r *apiKeyResource, planned serviceAccountKeyModel) resource.CreateResponse {
	t.Helper()
	sch := keySchema(t)
	unknown := types.StringUnknown()
	planned.Status, planned.ID, planned.Secret, planned.MaskedSecret, planned.CreatedAt = unknown, unknown, unknown, unknown, unknown
	planned.RevokedAt, planned.ExpiresAt = types.StringNull(), types.StringNull()
	req := resource.CreateRequest{
		Plan:   tfsdk.Plan{Schema: sch, Raw: keyValue(t, &planned)},
		Config: tfsdk.Config{Schema: sch, Raw: keyValue(t, ptrTo(configOf(planned)))},
	}
	resp := resource.CreateResponse{State: tfsdk.State{Schema: sch, Raw: keyValue(t, nil)}}
	r.Create(context.Background(), req, &resp)
	return resp
}

func ptrTo[T any](v T) *T { return &v }

// A create that Horizon refuses at the key limit while this provider is
// revoking a key of the same account, or begins to a moment later, waits for
// that revoke and tries once more; with no such revoke it fails, with the
// limit diagnostic, after giving one a moment to begin.
func TestCreateWaitsForThisProvidersRevoke(t *testing.T) {
	t.Parallel()
	var log testutil.SyncBuffer
	env := newTestEnv(t, server.WithLogOutput(&log))
	saID, _ := env.serviceAccountKey(t, "full", "member")
	r := keyResource(env.api)
	fill := func() *client.APIKey {
		key, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "second"})
		if err != nil {
			t.Fatal(err)
		}
		return key
	}

	second := fill()
	start := time.Now()
	resp := create(t, r, newKeyPlan(saID, "third"))
	if !resp.Diagnostics.HasError() || resp.Diagnostics.Errors()[0].Summary() != "Service Account Key Limit Reached" {
		t.Fatalf("with no revoke the create must fail with the limit diagnostic, got %v", resp.Diagnostics)
	}
	if d := time.Since(start); d > revokeStartWait+5*time.Second {
		t.Errorf("a create with no revoke to wait for took %s: it must fail once no revoke began for %s", d, revokeStartWait)
	}
	detail := resp.Diagnostics.Errors()[0].Detail()
	for _, want := range []string{saID, "limit 2", `("full")`, `("second")`, "create_before_destroy"} {
		if !strings.Contains(detail, want) {
			t.Errorf("limit diagnostic lacks %q:\n%s", want, detail)
		}
	}

	// This provider revokes "second" (the revoke of another resource of the
	// same apply): once already under way when Horizon refuses the create,
	// once beginning only after the refusal, as Terraform may order them.
	refused := func() int { return countLines(log.String(), "method=POST", "/api-keys", "status=409") }
	for _, revokeBegins := range []string{"before the refusal", "after the refusal"} {
		createdBefore, refusedBefore := countLines(log.String(), "method=POST", "/api-keys", "status=201"), refused()
		var end func(bool)
		if revokeBegins == "before the refusal" {
			end = r.keys.beginRevoke(saID, second.ID)
		}
		done := make(chan resource.CreateResponse)
		go func() { done <- create(t, r, newKeyPlan(saID, "third")) }()
		for deadline := time.Now().Add(10 * time.Second); refused() == refusedBefore; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the create never met the limit")
			}
		}
		if end == nil {
			end = r.keys.beginRevoke(saID, second.ID)
		}
		if _, err := env.api.RevokeAPIKey(t.Context(), saID, second.ID); err != nil {
			t.Fatal(err)
		}
		end(true)
		resp := <-done
		if resp.Diagnostics.HasError() {
			t.Fatalf("revoke %s: the create must succeed once the revoke finished: %v", revokeBegins, resp.Diagnostics)
		}
		if n := countLines(log.String(), "method=POST", "/api-keys", "status=201") - createdBefore; n != 1 {
			t.Errorf("revoke %s: %d creates succeeded, want the one retry", revokeBegins, n)
		}
		var created serviceAccountKeyModel
		resp.State.Get(context.Background(), &created)
		if !secretPattern.MatchString(created.Secret.ValueString()) || created.Status.ValueString() != "active" {
			t.Errorf("revoke %s: created key = %+v", revokeBegins, created)
		}
		// The account holds "full" and the new key: revoke the new key and
		// make a second again, for the next round.
		if _, err := env.api.RevokeAPIKey(t.Context(), saID, created.ID.ValueString()); err != nil {
			t.Fatal(err)
		}
		second = fill()
	}
}
