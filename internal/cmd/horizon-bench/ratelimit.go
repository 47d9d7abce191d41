package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// rateScenario is an apply from empty against a reference server started with
// -rate-limit: applies Terraform runs at once, each of the fleet of accounts
// service accounts (with their grants and keys), all in one organization.
type rateScenario struct {
	limit    int
	applies  int
	accounts int
}

// rateScenarios are the measurements for a bench of n accounts: one
// apply of the whole fleet at 50, 20 and 10 requests per second, and two
// applies of half the fleet each, started together, at 10.
func rateScenarios(n int) []rateScenario {
	return []rateScenario{
		{limit: 50, applies: 1, accounts: n},
		{limit: 20, applies: 1, accounts: n},
		{limit: 10, applies: 1, accounts: n},
		{limit: 10, applies: 2, accounts: max(1, n/2)},
	}
}

// rateTarget is the target for a scenario: the largest share of
// requests refused with 429, and the largest wall time as a multiple of the
// ideal (0: none).
type rateTarget struct {
	refused, vsIdeal float64
}

func (s rateScenario) target() (rateTarget, bool) {
	switch {
	case s.limit == 10 && s.applies == 1:
		return rateTarget{refused: 0.05, vsIdeal: 1.15}, true
	case s.limit == 10 && s.applies == 2:
		return rateTarget{refused: 0.10}, true
	}
	return rateTarget{}, false
}

type rateResult struct {
	scenario rateScenario
	requests int64
	refused  int64
	wall     time.Duration
}

// ideal is the shortest time the server's limit allows for the requests it
// accepted.
func (r rateResult) ideal() time.Duration {
	return time.Duration(float64(r.requests-r.refused) / float64(r.scenario.limit) * float64(time.Second))
}

func (r rateResult) refusedShare() float64 { return float64(r.refused) / float64(r.requests) }

// measureRateLimited runs one scenario against a fresh rate-limited server,
// so that each starts with a full bucket and an empty organization.
func measureRateLimited(ctx context.Context, work, bin string, parallelism int, sc rateScenario) (rateResult, error) {
	srv, err := server.New(server.WithRateLimit(sc.limit))
	if err != nil {
		return rateResult{}, err
	}
	defer srv.Stop()
	workspaces := make([]*tfrun.Workspace, sc.applies)
	for i := range workspaces {
		dir := filepath.Join(work, fmt.Sprintf("rate-%d-%dx%d-%d", sc.limit, sc.applies, sc.accounts, i))
		ws, err := tfrun.NewWorkspace(dir, bin, "HORIZON_ENDPOINT="+srv.URL(), "HORIZON_API_KEY="+srv.BootstrapKey())
		if err != nil {
			return rateResult{}, err
		}
		if err := ws.WriteFile("main.tf", tfrun.RequiredProviders+tfrun.FleetConfigNamed(fmt.Sprintf("pipeline%d", i), sc.accounts)); err != nil {
			return rateResult{}, err
		}
		workspaces[i] = ws
	}
	errs := make([]error, len(workspaces))
	var wg sync.WaitGroup
	start := time.Now()
	for i, ws := range workspaces {
		wg.Go(func() {
			var out strings.Builder
			if err := ws.Run(ctx, &out, &out, "apply", "-auto-approve", "-input=false", fmt.Sprintf("-parallelism=%d", parallelism)); err != nil {
				errs[i] = fmt.Errorf("apply %d of %d: %w\n%s", i+1, len(workspaces), err, out.String())
			}
		})
	}
	wg.Wait()
	res := rateResult{scenario: sc, requests: srv.RequestCount(), refused: srv.RateLimitedCount(), wall: time.Since(start)}
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func reportRateLimited(w io.Writer, results []rateResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "limit (req/s)\tapplies\tresources\trequests\trefused (429)\twall (s)\tideal (s)\tvs ideal\ttarget\t")
	for _, r := range results {
		sc := r.scenario
		target := "-"
		if t, ok := sc.target(); ok {
			target = rateVerdict(r, t)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d x %d\t%d\t%d (%.0f%%)\t%.1f\t%.1f\t%.2fx\t%s\t\n",
			sc.limit, sc.applies, sc.applies, 3*sc.accounts, r.requests, r.refused, 100*r.refusedShare(),
			r.wall.Seconds(), r.ideal().Seconds(), r.wall.Seconds()/r.ideal().Seconds(), target)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "Ideal: the requests the server accepted, divided by its limit. Every apply of a row runs at once, against one organization.")
}

func rateVerdict(r rateResult, t rateTarget) string {
	want := fmt.Sprintf("<= %.0f%% refused", 100*t.refused)
	if t.vsIdeal > 0 {
		want += fmt.Sprintf(", <= %.2fx", t.vsIdeal)
	}
	if 3*r.scenario.accounts*r.scenario.applies < targetResources {
		return want + fmt.Sprintf(" (for %d resources)", targetResources)
	}
	missed := r.refusedShare() > t.refused || (t.vsIdeal > 0 && r.wall.Seconds()/r.ideal().Seconds() > t.vsIdeal)
	if missed {
		return want + " MISSED"
	}
	return want + " met"
}
