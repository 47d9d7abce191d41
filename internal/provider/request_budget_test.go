package provider

import (
	"bytes"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// Rate limits are shared across an organization, so the requests an operation
// makes are part of the provider's contract: one per resource to refresh, one per
// resource to create or delete, and no read after a create whose response already
// holds the object. The data source of the configuration is read once per plan.
// Counts are exact: there are no faults, so no retries.
func TestAccRequestBudget(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	env := newTestEnv(t)
	const n = 4
	const resources = 3 * n
	ws := env.workspace(t, tfrun.FleetConfig(n))
	for _, op := range []struct {
		name string
		args []string
		want int64
	}{
		{"apply from empty", []string{"apply", "-auto-approve"}, resources + 1},
		{"refresh plan", []string{"plan"}, resources + 1},
		{"no-op apply", []string{"apply", "-auto-approve"}, resources + 1},
		{"destroy", []string{"destroy", "-auto-approve"}, 2*resources + 1},
	} {
		before := env.srv.RequestCount()
		var out bytes.Buffer
		if err := ws.Run(t.Context(), &out, &out, append(op.args, "-input=false", "-no-color")...); err != nil {
			t.Fatalf("%s: %v\n%s", op.name, err, out.String())
		}
		if got := env.srv.RequestCount() - before; got != op.want {
			t.Errorf("%s of %d resources made %d API requests, want %d", op.name, resources, got, op.want)
		}
	}
}
