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
// revoking a key of the same account waits for that revoke and tries once
// more; with no such revoke it fails at once, with the limit diagnostic.
func TestCreateWaitsForThisProvidersRevoke(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	env := newTestEnv(t, server.WithLogOutput(&log))
	saID, _ := env.serviceAccountKey(t, "full", "member")
	second, err := env.api.CreateAPIKey(t.Context(), saID, client.CreateAPIKeyRequest{Name: "second"})
	if err != nil {
		t.Fatal(err)
	}
	r := keyResource(env.api)

	start := time.Now()
	resp := create(t, r, newKeyPlan(saID, "third"))
	if !resp.Diagnostics.HasError() || resp.Diagnostics.Errors()[0].Summary() != "Service Account Key Limit Reached" {
		t.Fatalf("with no revoke under way the create must fail with the limit diagnostic, got %v", resp.Diagnostics)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a create with no revoke to wait for took %s: it must fail at once", d)
	}
	detail := resp.Diagnostics.Errors()[0].Detail()
	for _, want := range []string{saID, "limit 2", `("full")`, `("second")`, "create_before_destroy"} {
		if !strings.Contains(detail, want) {
			t.Errorf("limit diagnostic lacks %q:\n%s", want, detail)
		}
	}

	// This provider is revoking "second" (the revoke of another resource of
	// the same apply, still on its way to Horizon) when the create is refused.
	refused := func() int { return countLines(log.String(), "method=POST", "/api-keys", "status=409") }
	createdBefore, refusedBefore := countLines(log.String(), "method=POST", "/api-keys", "status=201"), refused()
	end := r.keys.beginRevoke(saID, second.ID)
	done := make(chan resource.CreateResponse)
	go func() { done <- create(t, r, newKeyPlan(saID, "third")) }()
	for deadline := time.Now().Add(10 * time.Second); refused() == refusedBefore; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the create never met the limit")
		}
	}
	if _, err := env.api.RevokeAPIKey(t.Context(), saID, second.ID); err != nil {
		t.Fatal(err)
	}
	end(true)
	resp = <-done
	if resp.Diagnostics.HasError() {
		t.Fatalf("the create must succeed once the revoke it waited for finished: %v", resp.Diagnostics)
	}
	if n := countLines(log.String(), "method=POST", "/api-keys", "status=201") - createdBefore; n != 1 {
		t.Errorf("%d creates succeeded, want the one retry", n)
	}
	var created serviceAccountKeyModel
	resp.State.Get(context.Background(), &created)
	if !secretPattern.MatchString(created.Secret.ValueString()) || created.Status.ValueString() != "active" {
		t.Errorf("created key = %+v", created)
	}
}
