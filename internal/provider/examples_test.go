package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// TestExamplesValidate runs `terraform validate` in every directory of examples/
// with the provider built from this tree, so no example drifts from the schema.
// Query files (.tfquery.hcl) are validated too, with -query, by Terraform 1.14+.
func TestExamplesValidate(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	root := filepath.Join("..", "..", "examples")
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".tf") || strings.HasSuffix(path, queryFileSuffix)) {
			dirs[filepath.Dir(path)] = true
		}
		return err
	})
	if err != nil || len(dirs) == 0 {
		t.Fatalf("finding examples under %s: %v (found %d)", root, err, len(dirs))
	}
	bin := providerBinary(t)
	identityImports, queries := cliAtLeast(t, 1, 12), cliAtLeast(t, 1, 14)
	for dir := range dirs {
		// Each import-*.tf example imports the resource that the others declare,
		// each its own way (by id, by identity), so each is validated on its own
		// with the rest of the directory.
		var base, imports []string
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			switch name := filepath.Base(f); {
			case strings.HasSuffix(name, queryFileSuffix):
				if queries {
					base = append(base, f)
				}
			case !strings.HasSuffix(name, ".tf"):
			case strings.HasPrefix(name, "import-"):
				imports = append(imports, f)
			default:
				base = append(base, f)
			}
		}
		variants := map[string][]string{}
		if len(base) > 0 {
			variants[""] = base
		}
		for _, f := range imports {
			if strings.HasSuffix(f, "import-by-identity.tf") && !identityImports {
				continue // import blocks with identity need Terraform 1.12+.
			}
			variants[filepath.Base(f)] = append(slices.Clone(base), f)
		}
		name, _ := filepath.Rel(root, dir)
		for variant, files := range variants {
			t.Run(filepath.Join(name, variant), func(t *testing.T) {
				t.Parallel()
				validateExample(t, bin, files)
			})
		}
	}
}

const queryFileSuffix = ".tfquery.hcl"

func validateExample(t *testing.T, bin string, files []string) {
	ws, err := tfrun.NewWorkspace(t.TempDir(), bin)
	if err != nil {
		t.Fatal(err)
	}
	hasRequiredProviders, hasQuery := false, false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		hasRequiredProviders = hasRequiredProviders || strings.Contains(string(data), "required_providers")
		hasQuery = hasQuery || strings.HasSuffix(f, queryFileSuffix)
		if err := ws.WriteFile(filepath.Base(f), string(data)); err != nil {
			t.Fatal(err)
		}
	}
	if !hasRequiredProviders {
		// Registry docs show resource examples without the terraform block; give them the provider's address.
		if err := ws.WriteFile("zz_provider.tf", "terraform {\n  required_providers {\n    horizon = { source = \"horizonhq/horizon\" }\n  }\n}\n"); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"validate", "-no-color"}
	if hasQuery {
		args = append(args, "-query")
	}
	var out bytes.Buffer
	if err := ws.Run(t.Context(), &out, &out, args...); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
}

// cliAtLeast tells whether the Terraform CLI that the tests run (tfrun.Binary:
// TF_ACC_TERRAFORM_PATH, else terraform) is at least major.minor. OpenTofu
// reports its own version, which follows Terraform's for the features
// checked here (import blocks with identity since 1.12).
func cliAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), tfrun.Binary(), "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version: %v", tfrun.Binary(), err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v", tfrun.Binary(), err)
	}
	var gotMajor, gotMinor int
	if _, err := fmt.Sscanf(v.Version, "%d.%d", &gotMajor, &gotMinor); err != nil {
		t.Fatalf("%s version %q: %v", tfrun.Binary(), v.Version, err)
	}
	return gotMajor > major || (gotMajor == major && gotMinor >= minor)
}
