// Command terraform-provider-horizon serves the Horizon Terraform provider.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/horizonhq/terraform-provider-horizon/internal/process"
	"github.com/horizonhq/terraform-provider-horizon/internal/provider"
)

// Format the examples and generate the docs from the schema, templates/ and examples/.
//go:generate terraform fmt -recursive ./examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0 generate --provider-name horizon

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "start the provider with support for debuggers like delve")
	flag.Parse()
	process.Tune()

	stopProfile := startCPUProfile()
	var opts []tf6server.ServeOpt
	if debugMode {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	server, err := provider.NewServer(version)()
	if err == nil {
		err = tf6server.Serve("registry.terraform.io/horizonhq/horizon", func() tfprotov6.ProviderServer { return server }, opts...)
	}
	stopProfile()
	if err != nil {
		log.Fatal(err.Error())
	}
}

// envCPUProfileDir, when set, makes every provider process write a CPU profile
// into that directory (cpu-<pid>.pprof), for measuring what the provider costs
// under Terraform: Terraform starts the provider itself, so a flag cannot ask.
const envCPUProfileDir = "HORIZON_PROVIDER_CPU_PROFILE_DIR"

func startCPUProfile() (stop func()) {
	dir := os.Getenv(envCPUProfileDir)
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid()))) //nolint:gosec // G304: the directory is the developer's own choice, by design
	if err != nil {
		log.Printf("[WARN] %s: %v", envCPUProfileDir, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Printf("[WARN] %s: %v", envCPUProfileDir, err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
