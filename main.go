// Command terraform-provider-horizon serves the Horizon Terraform provider.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/horizonhq/terraform-provider-horizon/internal/provider"
)

// Format the examples and generate the docs from the schema, templates/ and examples/.
//go:generate terraform fmt -recursive ./examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0 generate --provider-name horizon

// gcMemoryLimit is the heap size at which the provider's garbage collector runs.
const gcMemoryLimit = 256 << 20

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "start the provider with support for debuggers like delve")
	flag.Parse()
	silenceUnreadLogs()
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// A provider process lives for one Terraform command and its live heap
		// is a few MB: collect only when the heap nears a limit instead of at
		// every doubling, which was a tenth of its CPU time in a plan.
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(gcMemoryLimit)
	}

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

// silenceUnreadLogs turns the plugin SDK's logging off when Terraform will not
// show it. Terraform displays a provider's log lines only when TF_LOG or
// TF_LOG_PROVIDER asks for them, but the SDK formats every TRACE line as JSON
// anyway, which was a quarter of the provider's CPU time in a plan. Any explicit
// TF_LOG_* setting is left as it is.
func silenceUnreadLogs() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_HORIZON"} {
		if os.Getenv(name) == "" {
			_ = os.Setenv(name, "off")
		}
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
