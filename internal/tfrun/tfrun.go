// Package tfrun runs the Terraform CLI against a locally built provider, the way a
// user does with dev_overrides: no terraform init, no registry. The demo, the
// end-to-end tests and the benchmarks share it.
package tfrun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ProviderAddress is the provider's source address, as configurations name it.
const ProviderAddress = "horizonhq/horizon"

// BuildProvider compiles the provider binary into binDir.
func BuildProvider(ctx context.Context, binDir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(binDir, "terraform-provider-horizon"),
		"github.com/horizonhq/terraform-provider-horizon")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the provider: %w: %s", err, stderr.String())
	}
	return nil
}

// Workspace is a directory of Terraform configuration and the environment to run
// Terraform in it with the provider binary of binDir.
type Workspace struct {
	Dir string
	Env []string
}

// NewWorkspace prepares dir (created if needed) with a CLI configuration that
// points Terraform at binDir. extraEnv entries (KEY=value) are added to the
// environment, after the process's own.
func NewWorkspace(dir, binDir string, extraEnv ...string) (*Workspace, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	absBin, err := filepath.Abs(binDir)
	if err != nil {
		return nil, err
	}
	cliConfig := filepath.Join(dir, ".terraformrc")
	if err := os.WriteFile(cliConfig, []byte(devOverrides(absBin)), 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	)
	return &Workspace{Dir: dir, Env: append(env, extraEnv...)}, nil
}

func devOverrides(binDir string) string {
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, ProviderAddress, binDir)
}

// WriteFile writes a configuration file into the workspace.
func (w *Workspace) WriteFile(name, content string) error {
	return os.WriteFile(filepath.Join(w.Dir, name), []byte(content), 0o600)
}

// Binary is the Terraform CLI to run: TF_ACC_TERRAFORM_PATH when set (as for the
// acceptance tests, so OpenTofu runs these too), else terraform from PATH.
func Binary() string {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	return "terraform"
}

// Command returns a terraform command to run in the workspace.
func (w *Workspace) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, Binary(), args...)
	cmd.Dir, cmd.Env = w.Dir, w.Env
	return cmd
}

// Run runs terraform with args, streaming its output to stdout and stderr.
func (w *Workspace) Run(ctx context.Context, stdout, stderr io.Writer, args ...string) error {
	cmd := w.Command(ctx, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("terraform %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Output returns the raw value of a root module output.
func (w *Workspace) Output(ctx context.Context, name string) (string, error) {
	cmd := w.Command(ctx, "output", "-raw", name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("terraform output %s: %w: %s", name, err, stderr.String())
	}
	return string(out), nil
}
