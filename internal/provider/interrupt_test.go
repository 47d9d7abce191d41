package provider

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// An apply interrupted with Ctrl-C (SIGINT to terraform) while creates are in
// flight leaves a state from which the next apply converges: every object
// Horizon created is in the state, so nothing is orphaned or created twice.
func TestAccInterruptedApplyConverges(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	var log testutil.SyncBuffer
	// Responses of committed creates are held, so the interrupt lands while Horizon has
	// made objects the provider has not yet heard of: the case that would orphan them.
	env := newTestEnv(t, server.WithCommitLatency(400*time.Millisecond), server.WithLogOutput(&log))
	const n = 10
	ws := env.workspace(t, tfrun.FleetConfig(n))
	ctx := t.Context()

	var out bytes.Buffer
	// Two at a time, so that the interrupt finds some creates done, some in flight, some not started.
	apply := ws.Command(ctx, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=2")
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt when some creates are answered and at least one is committed but
	// not yet answered: the create the interrupt would orphan if it cancelled it.
	objects := func() int {
		snap := env.srv.Store().Snapshot()
		return len(snap.ServiceAccounts) + len(snap.ServerGrants) + len(snap.APIKeys) - 1 // the owner's key
	}
	answered := func() int { return countLines(log.String(), "method=POST") + countLines(log.String(), "method=PUT") }
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	deadline := time.After(60 * time.Second)
	for done := answered(); done < 2 || objects() <= done; done = answered() {
		select {
		case <-ticker.C:
		case <-deadline:
			t.Fatalf("never saw a committed create awaiting its response; terraform said:\n%s", out.String())
		}
	}
	if err := apply.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := apply.Wait(); err == nil {
		t.Fatalf("the interrupted apply exited 0; it was not interrupted:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Interrupt received") {
		t.Fatalf("terraform did not see the interrupt:\n%s", out.String())
	}
	createdBefore := objects()
	if createdBefore >= 3*n {
		t.Fatalf("the interrupt came too late: all %d objects were created", 3*n)
	}

	if err := ws.Run(ctx, &out, &out, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("the apply after the interrupt failed: %v\n%s", err, out.String())
	}
	if err := env.checkFleet(n)(nil); err != nil {
		t.Fatalf("after the interrupted apply and a second one: %v", err)
	}
	if err := ws.Run(ctx, &out, &out, "plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
		t.Fatalf("the plan after convergence is not empty: %v\n%s", err, out.String())
	}
	t.Logf("interrupted when %d of %d objects existed; the next apply converged to exactly %d accounts, %d grants and %d keys",
		createdBefore, 3*n, n, n, n)
	if err := ws.Run(ctx, &out, &out, "destroy", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out.String())
	}
}
