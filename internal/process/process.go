// Package process tunes a provider process for a Terraform run: both the
// provider's main and the bench's schema-only provider start with it, so the
// bench compares like with like.
package process

import (
	"os"
	"runtime/debug"
)

// gcMemoryLimit is the heap size at which the provider's garbage collector runs.
const gcMemoryLimit = 256 << 20

// Tune silences the logs Terraform will not show and relaxes the garbage
// collector, unless the environment asks otherwise.
func Tune() {
	silenceUnreadLogs()
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// A provider process lives for one Terraform command and its live heap
		// is a few MB: collect only when the heap nears a limit instead of at
		// every doubling, which was a tenth of its CPU time in a plan.
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(gcMemoryLimit)
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
