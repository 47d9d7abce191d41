package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// fleetSize is the "20 service accounts x (grant + key)" of the reliability figures.
const fleetSize = 20

// countLines counts access log lines that contain every one of the words.
func countLines(log string, words ...string) int {
	n := 0
	for line := range strings.Lines(log) {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			n++
		}
	}
	return n
}

// checkFleet asserts the server holds exactly n service accounts, n grants and
// n active service-account keys: nothing lost, nothing duplicated.
func (e *testEnv) checkFleet(n int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		snap := e.srv.Store().Snapshot()
		accounts := map[string]bool{}
		for _, sa := range snap.ServiceAccounts {
			accounts[sa.ID] = true
		}
		keys := 0
		for _, k := range snap.APIKeys {
			if accounts[k.OwnerID] && k.Status(e.clock.Now()) == api.KeyStatusActive {
				keys++
			}
		}
		if len(snap.ServiceAccounts) != n || len(snap.ServerGrants) != n || keys != n {
			return fmt.Errorf("server holds %d service accounts, %d grants and %d active keys; want %d of each",
				len(snap.ServiceAccounts), len(snap.ServerGrants), keys, n)
		}
		return nil
	}
}

// With 30% of successful mutations losing their response after the change was
// committed, an apply with the default max_retries completes, and the retried
// creates replay (same Idempotency-Key) instead of duplicating.
func TestAccReliability_lostResponses(t *testing.T) {
	t.Parallel()
	var log testutil.SyncBuffer
	env := newTestEnv(t, server.WithFailRate(0.3), server.WithFaultSeed(20261123), server.WithLogOutput(&log))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(tfrun.FleetConfig(fleetSize)),
				Check: resource.ComposeTestCheckFunc(
					env.checkFleet(fleetSize),
					func(*terraform.State) error {
						dropped := countLines(log.String(), "dropped=true")
						t.Logf("fail-rate 0.3: %d of %d mutation requests (retries included) lost their response; %d service accounts, %d grants, %d keys, 0 duplicates",
							dropped, countLines(log.String(), "method=POST")+countLines(log.String(), "method=PUT"), fleetSize, fleetSize, fleetSize)
						if dropped == 0 {
							return fmt.Errorf("the fault was not exercised: no response was dropped")
						}
						return nil
					},
				),
			},
		},
	})
}

// With a 20 requests/second organization rate limit, the same apply completes
// with no error, and paced by the server's RateLimit fields it is hardly ever
// refused: without pacing, about 30% of its requests were 429s.
func TestAccReliability_rateLimited(t *testing.T) {
	t.Parallel()
	// The rate limiter refills by the server's clock: this test needs one that moves.
	env := newTestEnv(t, server.WithRateLimit(20), server.WithClock(server.SystemClock{}))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.config(tfrun.FleetConfig(fleetSize)),
				Check: resource.ComposeTestCheckFunc(
					env.checkFleet(fleetSize),
					func(*terraform.State) error {
						requests, refused := env.srv.RequestCount(), env.srv.RateLimitedCount()
						t.Logf("rate-limit 20/s: %d of %d requests answered 429 and retried; 0 errors", refused, requests)
						if refused*20 > requests {
							return fmt.Errorf("%d of %d requests were refused with 429: more than 5%%, so the client did not pace itself", refused, requests)
						}
						return nil
					},
				),
			},
		},
	})
}
