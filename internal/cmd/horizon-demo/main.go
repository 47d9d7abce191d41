// Command horizon-demo runs the demo behind `make demo`: it starts the reference
// server binary on a free loopback port, applies examples/demo with the locally
// built provider (dev_overrides, no terraform init, no registry), shows the
// outputs, and stops the server, leaving nothing behind.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
	"github.com/horizonhq/terraform-provider-horizon/internal/mcpclient"
	"github.com/horizonhq/terraform-provider-horizon/internal/tfrun"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("horizon-demo", flag.ContinueOnError)
	flags.SetOutput(stderr)
	bin := flags.String("bin", "bin", "directory holding terraform-provider-horizon and horizon-server")
	example := flags.String("example", "examples/demo", "Terraform configuration to apply")
	if err := flags.Parse(args); err != nil {
		return err
	}
	binDir, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	work, err := os.MkdirTemp("", "horizon-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()

	srv, err := startServer(ctx, filepath.Join(binDir, "horizon-server"), filepath.Join(work, "server.log"))
	if err != nil {
		return err
	}
	defer srv.stop(stderr)
	fmt.Fprintf(stdout, "Reference server listening at %s (organization %s)\n\n", srv.env["HORIZON_ENDPOINT"], srv.env["HORIZON_ORGANIZATION_ID"])

	var serverEnv []string
	for k, v := range srv.env {
		serverEnv = append(serverEnv, k+"="+v)
	}
	ws, err := tfrun.NewWorkspace(filepath.Join(work, "config"), binDir, serverEnv...)
	if err != nil {
		return err
	}
	if err := copyTerraformFiles(*example, ws); err != nil {
		return err
	}
	terraform := func(args ...string) error {
		fmt.Fprintf(stdout, "$ terraform %s\n", strings.Join(args, " "))
		if err := ws.Run(ctx, stdout, stderr, args...); err != nil {
			return fmt.Errorf("%w (server log: %s)", err, srv.tail())
		}
		fmt.Fprintln(stdout)
		return nil
	}
	if err := terraform("apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	if err := verifyKey(ctx, ws, srv.env["HORIZON_ENDPOINT"], stdout); err != nil {
		return err
	}
	// A second plan must be empty: what a user sees on their next CI run.
	if err := terraform("plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
		return fmt.Errorf("the plan after apply is not empty: %w", err)
	}
	fmt.Fprintln(stdout, "Demo complete: stopping the reference server (its state is in memory and goes with it).")
	return nil
}

// verifyKey shows that the key Terraform created opens exactly the doors it was
// granted: it reads the secret from the state (without printing it), calls the
// weather server's echo tool, and shows that resources, not granted, are refused.
func verifyKey(ctx context.Context, ws *tfrun.Workspace, endpoint string, stdout io.Writer) error {
	secret, err := ws.Output(ctx, "key_secret")
	if err != nil {
		return err
	}
	weatherURL, err := ws.Output(ctx, "weather_mcp_url")
	if err != nil {
		return err
	}
	c, err := client.New(client.Config{Endpoint: endpoint, APIKey: secret, MaxRetries: client.DefaultMaxRetries})
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return fmt.Errorf("calling Horizon with the new key: %w", err)
	}
	fmt.Fprintf(stdout, "The new key authenticates as %s %q (%s).\n", strings.ReplaceAll(me.Actor.Type, "_", " "), me.Actor.Name, me.Actor.ID)

	session, err := mcpclient.Connect(ctx, weatherURL, secret, mcpclient.Options{})
	if err != nil {
		return fmt.Errorf("connecting to the weather server's MCP endpoint with the new key: %w", err)
	}
	defer func() { _ = session.Close() }()
	result, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello from terraform"}})
	if err != nil {
		return fmt.Errorf("calling the weather server's echo tool with the new key: %w", err)
	}
	text, ok := mcpText(result.Content)
	if !ok {
		return errors.New("the echo tool returned no text")
	}
	fmt.Fprintf(stdout, "tools/call echo on %s -> %s\n", weatherURL, text)

	if _, err = session.ListResources(ctx, nil); err == nil {
		return errors.New("resources/list succeeded, but the grant allows tools only")
	}
	refusal, refused := mcpclient.AsRefusal(err)
	if !refused {
		return fmt.Errorf("resources/list should be refused (the grant allows tools only), got %w", err)
	}
	fmt.Fprintf(stdout, "resources/list in the same session -> refused (%d): %s\n\n", refusal.Status, refusal.Message)
	return nil
}

// mcpText is the first text of a tool's result.
func mcpText(content []mcp.Content) (string, bool) {
	for _, c := range content {
		if text, ok := c.(*mcp.TextContent); ok {
			return text.Text, true
		}
	}
	return "", false
}

type server struct {
	cmd     *exec.Cmd
	env     map[string]string
	logPath string
}

// startServer runs the server and waits for its three HORIZON_* lines on stdout,
// which it prints only once it is listening.
func startServer(ctx context.Context, path, logPath string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "-addr", "127.0.0.1:0")
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (run 'make build' first): %w", path, err)
	}
	s := &server{cmd: cmd, env: map[string]string{}, logPath: logPath}
	ready := make(chan error, 1)
	go func() {
		scanner := bufio.NewScanner(out)
		for len(s.env) < 3 && scanner.Scan() {
			if k, v, ok := strings.Cut(scanner.Text(), "="); ok && strings.HasPrefix(k, "HORIZON_") {
				s.env[k] = v
			}
		}
		if len(s.env) < 3 {
			ready <- errors.New("the server exited before printing its HORIZON_* lines")
			return
		}
		ready <- nil
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case err = <-ready:
	case <-time.After(30 * time.Second):
		err = errors.New("the server did not start within 30s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("%w (server log: %s)", err, s.tail())
	}
	return s, nil
}

// stop asks the server to shut down gracefully, as a user's Ctrl-C would.
func (s *server) stop(stderr io.Writer) {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintln(stderr, "reference server exited:", err)
		}
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		fmt.Fprintln(stderr, "reference server did not stop within 15s and was killed:", <-done)
	}
}

// tail is the end of the server's log, for error messages.
func (s *server) tail() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil || len(data) == 0 {
		return "empty"
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], " | ")
}

func copyTerraformFiles(from string, ws *tfrun.Workspace) error {
	files, err := filepath.Glob(filepath.Join(from, "*.tf"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no .tf files in %s", from)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := ws.WriteFile(filepath.Base(f), string(data)); err != nil {
			return err
		}
	}
	return nil
}
