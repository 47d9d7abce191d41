// Command horizon-bench measures what `terraform plan` and `apply` cost with this
// provider, against the floor: the same number of terraform_data resources, which
// need no provider process at all. It runs the provider binary built by `make
// build` against an in-process reference server and prints medians, the ratio to
// the floor, and the API requests per resource from the server's counter.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/server"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench failed:", err)
		os.Exit(1)
	}
}

// operations are measured in this order on every run.
var operations = []string{"apply from empty", "refresh plan", "no-op apply", "destroy"}

type sample struct {
	seconds  map[string][]float64
	requests map[string][]int64
}

func newSample() *sample {
	return &sample{seconds: map[string][]float64{}, requests: map[string][]int64{}}
}

func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("horizon-bench", flag.ContinueOnError)
	n := flags.Int("n", 100, "service accounts; the configuration has n accounts, n grants and n keys")
	runs := flags.Int("runs", 3, "runs of each configuration (the median is reported)")
	bin := flags.String("bin", "bin", "directory holding terraform-provider-horizon")
	parallelism := flags.Int("parallelism", 10, "terraform -parallelism")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *runs < 1 {
		return errors.New("-n and -runs must be at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, err := os.MkdirTemp("", "horizon-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()

	srv, err := server.New()
	if err != nil {
		return err
	}
	defer srv.Stop()

	resources := 3 * *n
	horizon, floor := newSample(), newSample()
	fmt.Fprintf(stdout, "Measuring %d resources (%d service accounts, grants and keys) against %d terraform_data, %d runs, -parallelism=%d\n",
		resources, *n, resources, *runs, *parallelism)
	for i := range *runs {
		// Alternate which goes first, so that neither always meets a warmer machine.
		order := []bool{true, false}
		if i%2 == 1 {
			order = []bool{false, true}
		}
		for _, isHorizon := range order {
			name, cfg, into := "floor", floorConfig(resources), floor
			if isHorizon {
				name, cfg, into = "horizon", horizonConfig(*n), horizon
			}
			dir := filepath.Join(work, fmt.Sprintf("%s-%d", name, i))
			ws, err := tfrun.NewWorkspace(dir, *bin, "HORIZON_ENDPOINT="+srv.URL(), "HORIZON_API_KEY="+srv.BootstrapKey())
			if err != nil {
				return err
			}
			if err := ws.WriteFile("main.tf", cfg); err != nil {
				return err
			}
			if err := measure(ctx, ws, srv, *parallelism, into); err != nil {
				return fmt.Errorf("%s run %d: %w", name, i+1, err)
			}
		}
	}
	report(stdout, horizon, floor, resources)
	return nil
}

// measure runs the four operations once, recording wall time and API requests.
func measure(ctx context.Context, ws *tfrun.Workspace, srv *server.Server, parallelism int, into *sample) error {
	p := fmt.Sprintf("-parallelism=%d", parallelism)
	commands := map[string][]string{
		"apply from empty": {"apply", "-auto-approve", "-input=false", p},
		"refresh plan":     {"plan", "-input=false", p},
		"no-op apply":      {"apply", "-auto-approve", "-input=false", p},
		"destroy":          {"destroy", "-auto-approve", "-input=false", p},
	}
	for _, op := range operations {
		before := srv.RequestCount()
		start := time.Now()
		var out strings.Builder
		if err := ws.Run(ctx, &out, &out, commands[op]...); err != nil {
			return fmt.Errorf("%s: %w\n%s", op, err, out.String())
		}
		into.seconds[op] = append(into.seconds[op], time.Since(start).Seconds())
		into.requests[op] = append(into.requests[op], srv.RequestCount()-before)
	}
	return nil
}

func report(w io.Writer, horizon, floor *sample, resources int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\thorizon (s)\tfloor (s)\tratio\tAPI requests\trequests/resource\t")
	for _, op := range operations {
		h, f := median(horizon.seconds[op]), median(floor.seconds[op])
		reqs := medianInt(horizon.requests[op])
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2fx\t%d\t%.2f\t\n", op, h, f, h/f, reqs, float64(reqs)/float64(resources))
	}
	_ = tw.Flush()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianInt(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func horizonConfig(n int) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    horizon = { source = %q }
  }
}

data "horizon_server" "weather" {
  slug = "weather"
}

resource "horizon_service_account" "bench" {
  count = %d
  name  = "bench-${count.index}"
}

resource "horizon_server_grant" "bench" {
  count              = %d
  service_account_id = horizon_service_account.bench[count.index].id
  server_id          = data.horizon_server.weather.id
  role               = "user"
}

resource "horizon_service_account_key" "bench" {
  count              = %d
  service_account_id = horizon_service_account.bench[count.index].id
  name               = "primary"
}
`, tfrun.ProviderAddress, n, n, n)
}

func floorConfig(resources int) string {
	return fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = "bench-${count.index}"
}
`, resources)
}
