package provider

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// The README's "Run it by hand" works as written: its dev_overrides block,
// with the path of a built provider in it, lets Terraform plan the demo with
// the three variables the server prints and no terraform init.
func TestAccReadme_runItByHand(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(readme), "\n## Run it by hand\n")
	section, _, _ = strings.Cut(section, "\n## ")
	block := regexp.MustCompile("(?s)```hcl\n(.*?)```").FindStringSubmatch(section)
	if !found || block == nil {
		t.Fatal(`README.md has no "## Run it by hand" section with an hcl block`)
	}
	for _, name := range []string{envEndpoint, envAPIKey, envOrganizationID} {
		if !regexp.MustCompile(`(?m)^\s*` + name + `=`).MatchString(section) {
			t.Errorf("the section does not show the line %s=... that the server prints", name)
		}
	}
	const placeholder = "/path/to/terraform-provider-horizon/bin"
	// The block is indented as part of a list item; HCL does not mind.
	cliConfig := strings.Replace(block[1], placeholder, providerBinary(t), 1)
	if cliConfig == block[1] {
		t.Fatalf("the hcl block does not name %s", placeholder)
	}

	dir := t.TempDir()
	demo, err := os.ReadFile(filepath.Join("..", "..", "examples", "demo", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), demo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dev.tfrc"), []byte(cliConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t)
	cmd := exec.CommandContext(t.Context(), tfrun.Binary(), "plan", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "dev.tfrc"), "CHECKPOINT_DISABLE=1",
		envEndpoint+"="+env.srv.URL(), envAPIKey+"="+env.srv.BootstrapKey(), envOrganizationID+"="+env.srv.OrganizationID())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("terraform plan with the README's CLI configuration: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Plan: 3 to add") {
		t.Errorf("the demo did not plan its three resources:\n%s", out.String())
	}
}
