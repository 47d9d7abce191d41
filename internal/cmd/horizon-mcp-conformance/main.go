// Command horizon-mcp-conformance runs the official MCP conformance suite
// (@modelcontextprotocol/conformance) against the MCP endpoint of a seeded
// reference server, as `make mcp-conformance` does.
//
// The suite cannot send an Authorization header, so it talks to a small
// reverse proxy on loopback that adds the organization owner's key to every
// request and changes nothing else: the suite's Host and Origin headers reach
// the server as sent, so its DNS-rebinding scenario tests the server's own
// checks. The suite compares its results with the baseline of scenarios that
// do not apply (tools/mcp-conformance/expected-failures.yml): a scenario that
// fails or warns outside the baseline, or passes inside it, fails the run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/server"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mcp-conformance:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("horizon-mcp-conformance", flag.ContinueOnError)
	flags.SetOutput(stderr)
	node := flags.String("node", "", "the Node.js (>= 22) binary that runs the suite")
	suite := flags.String("suite", "", "the suite's command-line script (@modelcontextprotocol/conformance/dist/index.js)")
	baseline := flags.String("expected-failures", "tools/mcp-conformance/expected-failures.yml", "the scenarios that do not apply, with the reason for each")
	slug := flags.String("server", "weather", "slug of the seeded server whose endpoint is tested")
	logPath := flags.String("log", "", "file for the reference server's log (default: discarded)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *node == "" || *suite == "" {
		return errors.New("-node and -suite are required (make mcp-conformance installs both)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logOutput := io.Discard
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		logOutput = f
	}
	srv, err := server.New(server.WithLogOutput(logOutput))
	if err != nil {
		return err
	}
	defer srv.Stop()
	endpoint, err := serverURL(ctx, srv, *slug)
	if err != nil {
		return err
	}

	proxyURL, closeProxy, err := startProxy(srv.URL(), srv.BootstrapKey())
	if err != nil {
		return err
	}
	defer closeProxy()
	target, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Reference server %s; the suite talks to %s%s through a proxy that adds the owner's key.\n\n", srv.URL(), proxyURL, target.Path)

	cmd := exec.CommandContext(ctx, *node, *suite, "server", "--url", proxyURL+target.Path, "--expected-failures", *baseline)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the conformance suite failed: %w", err)
	}
	return nil
}

// serverURL is the MCP endpoint of the seeded server with slug, as the API
// publishes it.
func serverURL(ctx context.Context, srv *server.Server, slug string) (string, error) {
	api, err := client.New(client.Config{Endpoint: srv.URL(), APIKey: srv.BootstrapKey(), MaxRetries: client.DefaultMaxRetries})
	if err != nil {
		return "", err
	}
	servers, err := api.ListServers(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range servers {
		if s.Slug == slug {
			return s.URL, nil
		}
	}
	return "", fmt.Errorf("the reference server has no server %q", slug)
}

// startProxy serves, on a free loopback port, a reverse proxy to upstream
// that sets the bearer key on every request. It keeps the request's Host
// header: the suite's Host and Origin must reach the server unchanged.
func startProxy(upstream, key string) (proxyURL string, closeProxy func(), err error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return "", nil, err
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host = target.Scheme, target.Host
		r.Out.Header.Set("Authorization", "Bearer "+key)
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	httpServer := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = httpServer.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = httpServer.Close() }, nil
}
