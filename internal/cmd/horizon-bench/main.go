// Command horizon-bench measures what `terraform plan` and `apply` cost with this
// provider, against three baselines:
//
//   - schema-only: the same configuration against the provider's schema-only
//     twin (package schemaonly, built by `make bench`): the same schemas,
//     defaults, validators and plan modifiers, served by the framework, with
//     resources that call no API. What the provider costs beyond it is our own
//     code and its API requests; the targets are ratios to it.
//   - same graph: as many terraform_data resources with plain string inputs,
//     wired like the Horizon configuration (each grant and key refers to its
//     account, each grant to the one server), the lightest floor Terraform
//     allows for these edges: no provider process at all.
//   - flat: as many unrelated terraform_data resources.
//
// It runs the provider binary built by `make build` against an in-process
// reference server and prints medians, the ratios, and the API requests per
// resource from the server's counter. Each operation is timed as a user waits
// for it: the whole terraform command, provider start included. Then it
// applies the same configuration against rate-limited servers (-rate-limit),
// once alone and once as two applies sharing one organization, and prints how
// many requests were refused and how long each took against the ideal that
// the limit allows.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	schemaOnlyBin := flags.String("schema-only-bin", "bin/schema-only", "directory holding the schema-only twin, as terraform-provider-horizon")
	parallelism := flags.Int("parallelism", 10, "terraform -parallelism")
	floors := flags.Bool("floors", true, "measure plan, apply and destroy against the terraform_data floors")
	rateLimited := flags.Bool("rate-limited", true, "measure applies from empty against rate-limited servers (once each)")
	profile := flags.String("profile", "", "write a CPU profile of every provider process of the Horizon runs into this `directory`")
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

	version, err := terraformVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Terraform %s (%s)\n", version, tfrun.Binary())
	if *floors {
		if err := measureFloors(ctx, stdout, work, *bin, *schemaOnlyBin, *n, *runs, *parallelism, *profile); err != nil {
			return err
		}
	}
	if *rateLimited {
		fmt.Fprintf(stdout, "\nApplies from empty against a rate-limited reference server (-rate-limit), once each, -parallelism=%d\n", *parallelism)
		var results []rateResult
		for _, sc := range rateScenarios(*n) {
			res, err := measureRateLimited(ctx, work, *bin, *parallelism, sc)
			if err != nil {
				return fmt.Errorf("rate limit %d/s, %d applies: %w", sc.limit, sc.applies, err)
			}
			results = append(results, res)
		}
		reportRateLimited(stdout, results)
	}
	return nil
}

// measureFloors runs the Horizon configuration, against the provider and its
// schema-only twin, and both floors runs times each against one unlimited
// server, and prints the medians.
func measureFloors(ctx context.Context, stdout io.Writer, work, bin, schemaOnlyBin string, n, runs, parallelism int, profile string) error {
	srv, err := server.New()
	if err != nil {
		return err
	}
	defer srv.Stop()

	resources := 3 * n
	horizonConfig := tfrun.RequiredProviders + tfrun.FleetConfig(n)
	configs := []struct {
		name   string
		bin    string
		config string
		sample *sample
	}{
		{"horizon", bin, horizonConfig, newSample()},
		{"schema-only", schemaOnlyBin, horizonConfig, newSample()},
		{"graph", bin, graphFloorConfig(n), newSample()},
		{"flat", bin, flatFloorConfig(resources), newSample()},
	}
	fmt.Fprintf(stdout, "Measuring %d resources (%d service accounts, grants and keys), %d runs, -parallelism=%d\n",
		resources, n, runs, parallelism)
	for i := range runs {
		// Rotate which goes first, so that none always meets a warmer machine.
		for j := range configs {
			c := configs[(i+j)%len(configs)]
			dir := filepath.Join(work, fmt.Sprintf("%s-%d", c.name, i))
			env := []string{"HORIZON_ENDPOINT=" + srv.URL(), "HORIZON_API_KEY=" + srv.BootstrapKey()}
			if profile != "" && c.name == "horizon" {
				env = append(env, "HORIZON_PROVIDER_CPU_PROFILE_DIR="+profile)
			}
			ws, err := tfrun.NewWorkspace(dir, c.bin, env...)
			if err != nil {
				return err
			}
			if err := ws.WriteFile("main.tf", c.config); err != nil {
				return err
			}
			if err := measure(ctx, ws, srv, parallelism, c.sample); err != nil {
				return fmt.Errorf("%s run %d: %w", c.name, i+1, err)
			}
		}
	}
	report(stdout, configs[0].sample, configs[1].sample, configs[2].sample, configs[3].sample, resources)
	return nil
}

// terraformVersion is the version of the Terraform CLI the bench runs.
func terraformVersion(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, tfrun.Binary(), "version", "-json").Output()
	if err != nil {
		return "", fmt.Errorf("terraform version: %w", err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return "", fmt.Errorf("terraform version -json printed %q", out)
	}
	return v.Version, nil
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

// targets are the ratios to the schema-only twin that the provider must
// stay within: what our own code and one API request per resource may add to
// what the framework costs for the same schemas. They are set for 300
// resources: with fewer, the fixed cost of starting the provider process
// weighs more, so a smaller run shows them without a verdict.
var targets = map[string]float64{"apply from empty": 1.10, "refresh plan": 1.15, "no-op apply": 1.15}

const targetResources = 300

func report(w io.Writer, horizon, schemaOnly, graph, flat *sample, resources int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\thorizon (s)\tschema-only (s)\tratio\ttarget\tfloor, same graph (s)\tratio\tfloor, flat (s)\tratio\tAPI requests\trequests/resource\t")
	for _, op := range operations {
		h, s, g, f := median(horizon.seconds[op]), median(schemaOnly.seconds[op]), median(graph.seconds[op]), median(flat.seconds[op])
		reqs := medianInt(horizon.requests[op])
		target := "-"
		if t, ok := targets[op]; ok {
			verdict := "met"
			switch {
			case resources < targetResources:
				verdict = fmt.Sprintf("(for %d resources)", targetResources)
			case h/s > t:
				verdict = "MISSED"
			}
			target = fmt.Sprintf("<= %.2fx %s", t, verdict)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2fx\t%s\t%.2f\t%.2fx\t%.2f\t%.2fx\t%d\t%.2f\t\n",
			op, h, s, h/s, target, g, h/g, f, h/f, reqs, float64(reqs)/float64(resources))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "Targets are ratios to the schema-only twin: the same configuration and schemas, served by the framework with no API;")
	fmt.Fprintln(w, "floors are terraform_data, which needs no provider process. Every operation but destroy (a read and a delete per")
	fmt.Fprintln(w, "key and grant) stays within one API request per resource.")
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

// graphFloorConfig is the Horizon configuration's graph in terraform_data
// with plain string inputs: the same resources with the same references, and
// a one-off stand-in for the horizon_server data source that every grant
// refers to.
func graphFloorConfig(n int) string {
	return fmt.Sprintf(`resource "terraform_data" "server" {
  input = "weather"
}

resource "terraform_data" "account" {
  count = %d
  input = "bench-${count.index}"
}

resource "terraform_data" "grant" {
  count = %d
  input = "${terraform_data.account[count.index].id}/${terraform_data.server.id}"
}

resource "terraform_data" "key" {
  count = %d
  input = "${terraform_data.account[count.index].id}/primary"
}
`, n, n, n)
}

// flatFloorConfig is as many terraform_data resources, none referring to another.
func flatFloorConfig(resources int) string {
	return fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = "bench-${count.index}"
}
`, resources)
}
