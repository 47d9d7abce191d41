package provider

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// Tests that run the Terraform CLI as users do (a built provider binary,
// dev_overrides, no init) share what is in this file.

var (
	providerBinOnce sync.Once
	providerBinDir  string
	providerBinErr  error
)

// requireCLI skips a test that runs the Terraform CLI unless acceptance tests
// are asked for, as terraform-plugin-testing does for the in-process ones.
func requireCLI(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("runs the Terraform CLI; set TF_ACC=1")
	}
}

// providerBinary builds the provider once per test binary, for tests that run the
// Terraform CLI the way users do (dev_overrides) instead of in-process.
func providerBinary(t *testing.T) string {
	t.Helper()
	providerBinOnce.Do(func() {
		providerBinDir, providerBinErr = os.MkdirTemp("", "horizon-provider-bin-")
		if providerBinErr == nil {
			providerBinErr = tfrun.BuildProvider(context.Background(), providerBinDir)
		}
	})
	if providerBinErr != nil {
		t.Fatalf("building the provider: %v", providerBinErr)
	}
	return providerBinDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if providerBinDir != "" {
		_ = os.RemoveAll(providerBinDir)
	}
	os.Exit(code)
}

// workspace is a directory where the Terraform CLI runs against this test's server.
func (e *testEnv) workspace(t *testing.T, config string) *tfrun.Workspace {
	t.Helper()
	ws, err := tfrun.NewWorkspace(t.TempDir(), providerBinary(t),
		"HORIZON_ENDPOINT="+e.srv.URL(), "HORIZON_API_KEY="+e.srv.BootstrapKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteFile("main.tf", tfrun.RequiredProviders+config); err != nil {
		t.Fatal(err)
	}
	return ws
}

// diagnostic is one diagnostic of Terraform's machine-readable output.
type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
}

// runJSON runs the terraform command args[0] with -json and the rest of
// args, and returns the diagnostics it reported, and the combined output for
// failure messages.
func runJSON(ctx context.Context, ws *tfrun.Workspace, args ...string) ([]diagnostic, string, error) {
	cmd := ws.Command(ctx, append([]string{args[0], "-json"}, args[1:]...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var diags []diagnostic
	scanner := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		var line struct {
			Type       string     `json:"type"`
			Diagnostic diagnostic `json:"diagnostic"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) == nil && line.Type == "diagnostic" {
			diags = append(diags, line.Diagnostic)
		}
	}
	return diags, out.String(), err
}

// withSummary returns the diagnostics whose summary contains s.
func withSummary(diags []diagnostic, s string) []diagnostic {
	var found []diagnostic
	for _, d := range diags {
		if strings.Contains(d.Summary, s) {
			found = append(found, d)
		}
	}
	return found
}
