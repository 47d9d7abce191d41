package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// serverProcess is the horizon-server binary, running.
type serverProcess struct {
	cmd      *exec.Cmd
	endpoint string
	mu       sync.Mutex
	log      strings.Builder
	done     chan struct{}
}

// startServerBinary runs bin/horizon-server with args and waits for the
// endpoint it prints.
func startServerBinary(t *testing.T, ctx context.Context, bin string, args ...string) *serverProcess {
	t.Helper()
	p := &serverProcess{cmd: exec.CommandContext(ctx, filepath.Join(bin, "horizon-server"), args...), done: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.done })
	go func() {
		defer close(p.done)
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			p.mu.Lock()
			p.log.WriteString(lines.Text() + "\n")
			p.mu.Unlock()
		}
		_ = p.cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "HORIZON_ENDPOINT="); ok {
			p.endpoint = v
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return p
		}
	}
	<-p.done
	t.Fatalf("horizon-server %s printed no endpoint:\n%s", strings.Join(args, " "), p.logged())
	return nil
}

func (p *serverProcess) logged() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// kill ends the server with SIGKILL: no shutdown, no flush, no close.
func (p *serverProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// buildBinaries builds horizon-server and the provider into one directory.
func buildBinaries(t *testing.T, ctx context.Context) string {
	t.Helper()
	bin := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, "horizon-server"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building horizon-server: %v\n%s", err, out)
	}
	if err := tfrun.BuildProvider(ctx, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// stateIDs reads the id of every resource instance in the workspace's state.
func stateIDs(t *testing.T, ws *tfrun.Workspace) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ws.Dir, "terraform.tfstate"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Mode      string `json:"mode"`
			Instances []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range state.Resources {
		for _, inst := range r.Instances {
			if r.Mode == "managed" {
				ids = append(ids, inst.Attributes.ID)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// A kill -9 of the server with -data while an apply of 33 accounts, grants
// and keys (99 resources) is creating, then a restart on the same file and
// address: the apply carries on through its retries, which the restarted
// server answers from the same file (an Idempotency-Key's retry replays the
// stored response), and a second apply converges. Nothing that was answered
// is lost: every object in the state of the interrupted apply is still
// there, with the same id. Nothing is created twice: each account has one
// key and one grant.
func TestKillDashNineDuringApply(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("runs the server binary and the Terraform CLI; set TF_ACC=1")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := buildBinaries(t, ctx)
	dataFile := filepath.Join(t.TempDir(), "horizon.db")
	const key = "fmcp_durability-test-bootstrap-key-0001"
	srv := startServerBinary(t, ctx, bin, "-addr", "127.0.0.1:0", "-data", dataFile, "-bootstrap-key", key)
	u, err := url.Parse(srv.endpoint)
	if err != nil {
		t.Fatal(err)
	}

	const n = 33
	ws, err := tfrun.NewWorkspace(t.TempDir(), bin, "HORIZON_ENDPOINT="+srv.endpoint, "HORIZON_API_KEY="+key)
	if err != nil {
		t.Fatal(err)
	}
	// Retries outlast the restart by far: the server is back within a second.
	config := tfrun.RequiredProviders + "\nprovider \"horizon\" {\n  max_retries = 10\n}\n" + tfrun.FleetConfig(n)
	if err := ws.WriteFile("main.tf", config); err != nil {
		t.Fatal(err)
	}
	var applyOut strings.Builder
	apply := ws.Command(ctx, "apply", "-auto-approve", "-input=false")
	apply.Stdout, apply.Stderr = &applyOut, &applyOut
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}

	// Kill the server mid-apply: once a third of the creates are answered.
	deadline := time.Now().Add(2 * time.Minute)
	for strings.Count(srv.logged(), "status=201") < n {
		if time.Now().After(deadline) {
			t.Fatalf("the apply did not get going:\n%s", srv.logged())
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.kill(t)
	answered := strings.Count(srv.logged(), "status=201")
	restarted := startServerBinary(t, ctx, bin, "-addr", u.Host, "-data", dataFile, "-bootstrap-key", key)
	firstErr := apply.Wait()
	t.Logf("killed after %d answered creates; the interrupted apply ended with %v", answered, firstErr)
	interrupted := stateIDs(t, ws)

	var out strings.Builder
	if err := ws.Run(ctx, &out, &out, "apply", "-auto-approve", "-input=false"); err != nil {
		t.Fatalf("the second apply: %v\n%s\nfirst apply:\n%s\nserver:\n%s", err, out.String(), applyOut.String(), restarted.logged())
	}
	out.Reset()
	plan := ws.Command(ctx, "plan", "-detailed-exitcode", "-input=false")
	plan.Stdout, plan.Stderr = &out, &out
	if err := plan.Run(); err != nil {
		t.Fatalf("the configuration did not converge (plan -detailed-exitcode: %v):\n%s", err, out.String())
	}

	final := stateIDs(t, ws)
	if len(final) != 3*n {
		t.Fatalf("%d resources in the state, want %d", len(final), 3*n)
	}
	for _, id := range interrupted {
		if _, found := slices.BinarySearch(final, id); !found {
			t.Errorf("%s, in the state of the interrupted apply, was lost and created again", id)
		}
	}

	c, err := client.New(client.Config{Endpoint: srv.endpoint, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := c.ListServiceAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != n {
		t.Errorf("%d service accounts on the server, want %d", len(accounts), n)
	}
	for _, sa := range accounts {
		keys, err := c.ListAPIKeys(ctx, sa.ID)
		if err != nil {
			t.Fatal(err)
		}
		grants := 0
		for _, err := range c.AllServerGrants(ctx, sa.ID, 0) {
			if err != nil {
				t.Fatal(err)
			}
			grants++
		}
		if len(keys) != 1 || grants != 1 {
			t.Errorf("%s (%s) has %d keys and %d grants, want one of each", sa.Name, sa.ID, len(keys), grants)
		}
	}
}
