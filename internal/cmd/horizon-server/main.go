// Command horizon-server runs the Horizon reference server on loopback so the
// provider can be tried without a Horizon account.
//
// Usage:
//
//	horizon-server [-addr 127.0.0.1:8787] [-bootstrap-key fmcp_...] [-data FILE] [-default-server-role none]
//	               [-rate-limit N] [-fail-rate F] [-error-rate F] [-latency D] [-fault-seed N]
//
// It prints HORIZON_ENDPOINT, HORIZON_API_KEY and HORIZON_ORGANIZATION_ID to
// stdout, logs to stderr, and serves until SIGINT or SIGTERM. With -data it
// keeps everything in a SQLite database at FILE, so that a restart on the
// same file holds everything committed before.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/server"
)

// shutdownTimeout bounds how long in-flight requests may take to drain.
const shutdownTimeout = 10 * time.Second

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	err := run(os.Args[1:], os.Stdout, os.Stderr, signals)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "horizon-server:", err)
		os.Exit(1)
	}
}

// errUsage marks command-line mistakes, which the flag package has already
// reported on stderr.
var errUsage = errors.New("usage")

// run parses args, starts the server, prints the connection settings and
// serves until a signal arrives.
func run(args []string, stdout, stderr io.Writer, signals <-chan os.Signal) error {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	srv, err := server.New(append(opts, server.WithLogOutput(stderr))...)
	if err != nil {
		return err
	}
	defer srv.Stop()

	fmt.Fprintf(stdout, "HORIZON_ENDPOINT=%s\nHORIZON_API_KEY=%s\nHORIZON_ORGANIZATION_ID=%s\n",
		srv.URL(), srv.BootstrapKey(), srv.OrganizationID())

	sig := <-signals
	fmt.Fprintf(stderr, "horizon-server: received %v, shutting down\n", sig)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	return nil
}

func parseFlags(args []string, stderr io.Writer) ([]server.Option, error) {
	fs := flag.NewFlagSet("horizon-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := []server.Option{server.WithAddr("127.0.0.1:8787")}

	fs.Func("addr", "listen `address`; port 0 picks a free port (default 127.0.0.1:8787)", func(v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("want host:port, such as 127.0.0.1:8787")
		}
		opts = append(opts, server.WithAddr(v))
		return nil
	})
	// The bootstrap key is checked after parsing, because the flag package
	// quotes a refused value in its message, and this one is a secret.
	bootstrapKey := fs.String("bootstrap-key", "", "API `key` of the seeded organization owner: fmcp_ and 16 to 128 characters "+
		"of URL-safe base64 (A-Z, a-z, 0-9, - and _), like the keys the server generates; generated when absent")
	fs.Func("data", "keep everything in a SQLite database at `FILE`, created when absent: a restart on the same file keeps "+
		"the organization, its owner and every object (a new owner key is printed unless -bootstrap-key names one; "+
		"earlier keys keep working). One server at a time per file (default: in memory, lost at exit)", func(v string) error {
		if v == "" {
			return errors.New("want a file name")
		}
		opts = append(opts, server.WithDataFile(v))
		return nil
	})
	fs.Func("default-server-role", "`role` of members and viewers on servers where they have no grant: none, viewer or user "+
		"(the seeded organization's default_server_role; default none; a -data file keeps its own)", func(v string) error {
		if err := server.ValidateDefaultServerRole(v); err != nil {
			return err
		}
		opts = append(opts, server.WithDefaultServerRole(v))
		return nil
	})
	fs.Func("rate-limit", "allow `N` requests per second per organization, answering the rest with 429 (0: unlimited)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a whole number of requests per second, 0 or more")
		}
		opts = append(opts, server.WithRateLimit(n))
		return nil
	})
	fs.Func("fail-rate", "drop the response of a `fraction` (0 to 1) of committed changes, closing the connection", func(v string) error {
		f, err := parseFraction(v)
		if err != nil {
			return err
		}
		opts = append(opts, server.WithFailRate(f))
		return nil
	})
	fs.Func("error-rate", "answer a `fraction` (0 to 1) of requests with 503 and Retry-After: 0 before doing anything (nothing changes)", func(v string) error {
		f, err := parseFraction(v)
		if err != nil {
			return err
		}
		opts = append(opts, server.WithErrorRate(f))
		return nil
	})
	fs.Func("latency", "hold every API and MCP request for `duration` (such as 200ms) before handling it; "+
		"a client that gives up meanwhile changes nothing", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errors.New("want a duration of 0 or more, such as 200ms or 2s")
		}
		opts = append(opts, server.WithLatency(d))
		return nil
	})
	fs.Func("fault-seed", "seed `N` for -fail-rate and -error-rate, so a run's faults can be repeated (default: random)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("want a whole number")
		}
		opts = append(opts, server.WithFaultSeed(n))
		return nil
	})

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "horizon-server: unexpected argument %q; all settings are flags\n", fs.Arg(0))
		fs.Usage()
		return nil, errUsage
	}
	if *bootstrapKey != "" {
		if err := server.ValidateBootstrapKey(*bootstrapKey); err != nil {
			fmt.Fprintf(stderr, "horizon-server: invalid value for flag -bootstrap-key: %v\n", err)
			fs.Usage()
			return nil, errUsage
		}
		opts = append(opts, server.WithBootstrapKey(*bootstrapKey))
	}
	return opts, nil
}

func parseFraction(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return 0, errors.New("want a fraction between 0 and 1, such as 0.2")
	}
	return f, nil
}
