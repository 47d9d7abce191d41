package provider

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

// TestExamplesValidate runs `terraform validate` in every directory of examples/
// with the provider built from this tree, so no example drifts from the schema.
func TestExamplesValidate(t *testing.T) {
	requireCLI(t)
	t.Parallel()
	root := filepath.Join("..", "..", "examples")
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".tf") {
			dirs[filepath.Dir(path)] = true
		}
		return err
	})
	if err != nil || len(dirs) == 0 {
		t.Fatalf("finding examples under %s: %v (found %d)", root, err, len(dirs))
	}
	bin := providerBinary(t)
	for dir := range dirs {
		name, _ := filepath.Rel(root, dir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ws, err := tfrun.NewWorkspace(t.TempDir(), bin)
			if err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
			hasRequiredProviders := false
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				hasRequiredProviders = hasRequiredProviders || strings.Contains(string(data), "required_providers")
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
			var out bytes.Buffer
			if err := ws.Run(t.Context(), &out, &out, "validate", "-no-color"); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
		})
	}
}
