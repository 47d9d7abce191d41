package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunPrintsSettingsAndShutsDownOnSignal(t *testing.T) {
	key := "fmcp_cli-test-bootstrap-key-01"
	stdoutR, stdoutW := io.Pipe()
	var stderr bytes.Buffer
	signals := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-addr", "127.0.0.1:0", "-bootstrap-key", key, "-default-server-role", "viewer", "-rate-limit", "100", "-fail-rate", "0"}, stdoutW, &stderr, signals)
		stdoutW.Close()
	}()

	lines := bufio.NewScanner(stdoutR)
	var got []string
	for len(got) < 3 && lines.Scan() {
		got = append(got, lines.Text())
	}
	if len(got) != 3 {
		t.Fatalf("stdout lines = %q (run: %v)", got, <-done)
	}
	patterns := []string{
		`^HORIZON_ENDPOINT=http://127\.0\.0\.1:[1-9]\d*$`,
		`^HORIZON_API_KEY=` + regexp.QuoteMeta(key) + `$`,
		`^HORIZON_ORGANIZATION_ID=org_[a-z2-7]{16}$`,
	}
	for i, pattern := range patterns {
		if !regexp.MustCompile(pattern).MatchString(got[i]) {
			t.Errorf("line %d = %q, want %s", i+1, got[i], pattern)
		}
	}

	req, _ := http.NewRequest(http.MethodGet, strings.TrimPrefix(got[0], "HORIZON_ENDPOINT=")+"/api/v0/organizations/current", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var org struct {
		DefaultServerRole string `json:"default_server_role"`
	}
	err = json.NewDecoder(resp.Body).Decode(&org)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || org.DefaultServerRole != "viewer" {
		t.Errorf("GET organization: %d, default_server_role %q (%v); want 200 and the flag's viewer", resp.StatusCode, org.DefaultServerRole, err)
	}

	signals <- syscall.SIGTERM
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if rest, _ := io.ReadAll(stdoutR); len(rest) != 0 {
		t.Errorf("more on stdout: %q", rest)
	}
	if !strings.Contains(stderr.String(), "path=/api/v0/organizations/current status=200") {
		t.Errorf("no access log on stderr:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), key) {
		t.Error("stderr contains the API key")
	}
}

func TestRunGeneratesKey(t *testing.T) {
	var stdout bytes.Buffer
	signals := make(chan os.Signal, 1)
	signals <- os.Interrupt
	if err := run([]string{"-addr", "127.0.0.1:0"}, &stdout, io.Discard, signals); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^HORIZON_API_KEY=fmcp_[A-Za-z0-9_-]{43}$`).MatchString(stdout.String()) {
		t.Errorf("stdout = %q", stdout.String())
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "8787"}, "-addr"},
		{[]string{"-bootstrap-key", "short"}, "-bootstrap-key"},
		{[]string{"-bootstrap-key", "sk_0123456789abcdefghijkl"}, "-bootstrap-key"},
		{[]string{"-bootstrap-key", "fmcp_chosen/by/a/user/0123"}, "URL-safe base64"},
		{[]string{"-bootstrap-key", `fmcp_chosen"by\a"user"0123`}, "URL-safe base64"},
		{[]string{"-default-server-role", "admin"}, "-default-server-role"},
		{[]string{"-rate-limit", "-1"}, "-rate-limit"},
		{[]string{"-rate-limit", "many"}, "-rate-limit"},
		{[]string{"-fail-rate", "1.5"}, "-fail-rate"},
		{[]string{"-fail-rate", "NaN"}, "-fail-rate"},
		{[]string{"-error-rate", "-0.5"}, "-error-rate"},
		{[]string{"-error-rate", "half"}, "-error-rate"},
		{[]string{"-latency", "-1s"}, "-latency"},
		{[]string{"-latency", "200"}, "-latency"},
		{[]string{"-fault-seed", "1.5"}, "-fault-seed"},
		{[]string{"-data", ""}, "-data"},
		{[]string{"-port", "1"}, "-port"},
		{[]string{"serve"}, `"serve"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr, nil)
			if !errors.Is(err, errUsage) {
				t.Fatalf("run = %v, want a usage error", err)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr does not name %s:\n%s", tt.want, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q", stdout.String())
			}
		})
	}
}

// TestRefusedBootstrapKeyIsNotEchoed: a refused key may still be a real one
// with a typo, so the error says what is wrong without quoting it.
func TestRefusedBootstrapKeyIsNotEchoed(t *testing.T) {
	for _, key := range []string{"fmcp_chosen/by/a/user/0123", "fmcp_short", "sk_0123456789abcdefghijkl"} {
		var stderr bytes.Buffer
		if err := run([]string{"-bootstrap-key", key}, io.Discard, &stderr, nil); !errors.Is(err, errUsage) {
			t.Fatalf("run = %v, want a usage error", err)
		}
		if random := key[5:]; strings.Contains(stderr.String(), random) {
			t.Errorf("stderr quotes the refused key %q:\n%s", key, stderr.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run([]string{"-h"}, io.Discard, &stderr, nil); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run = %v", err)
	}
	for _, name := range []string{"-addr", "-bootstrap-key", "-data", "-default-server-role", "-rate-limit", "-fail-rate", "-error-rate", "-latency", "-fault-seed"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("usage lacks %s:\n%s", name, stderr.String())
		}
	}
}

func TestListenFailure(t *testing.T) {
	err := run([]string{"-addr", "256.0.0.1:1"}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "256.0.0.1:1") {
		t.Errorf("run = %v, want an error naming the address", err)
	}
}

// startRun runs the command with args in the background and returns its
// endpoint, the channel that delivers signals to it and the channel of its
// result.
func startRun(t *testing.T, args ...string) (endpoint string, signals chan os.Signal, done chan error) {
	t.Helper()
	stdoutR, stdoutW := io.Pipe()
	signals = make(chan os.Signal, 1)
	done = make(chan error, 1)
	go func() {
		done <- run(append([]string{"-addr", "127.0.0.1:0"}, args...), stdoutW, io.Discard, signals)
		stdoutW.Close()
	}()
	lines := bufio.NewScanner(stdoutR)
	if !lines.Scan() {
		t.Fatalf("no output (run: %v)", <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	t.Cleanup(func() {
		select {
		case signals <- os.Interrupt:
		default:
		}
	})
	return strings.TrimPrefix(lines.Text(), "HORIZON_ENDPOINT="), signals, done
}

func call(t *testing.T, method, url, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

func TestRunFaultFlags(t *testing.T) {
	const key = "fmcp_cli-test-bootstrap-key-02"
	const latency = 100 * time.Millisecond
	endpoint, signals, done := startRun(t, "-bootstrap-key", key, "-latency", latency.String(), "-error-rate", "1", "-fault-seed", "3")
	start := time.Now()
	resp, body := call(t, http.MethodGet, endpoint+"/api/v0/me", key, "")
	if took := time.Since(start); took < latency {
		t.Errorf("the request took %v, less than -latency %v", took, latency)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "0" || !strings.Contains(string(body), `"unavailable"`) {
		t.Errorf("with -error-rate 1: status %d, Retry-After %q, body %s; want 503 unavailable, Retry-After 0",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	signals <- syscall.SIGTERM
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestRunDrainsOnSignal signals the command while a request is in progress
// (its body still arriving): new connections are refused at once, the
// request is handled and answered, and only then does run return.
func TestRunDrainsOnSignal(t *testing.T) {
	const key = "fmcp_cli-test-bootstrap-key-03"
	endpoint, signals, done := startRun(t, "-bootstrap-key", key)
	orgPath := endpoint + "/api/v0/organizations/current/service-accounts"

	var sa, saKey struct{ ID, Secret string }
	resp, body := call(t, http.MethodPost, orgPath, key, `{"name":"deployer","role":"admin"}`)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &sa) != nil {
		t.Fatalf("create service account: %d %s", resp.StatusCode, body)
	}
	keyPath := orgPath + "/" + sa.ID + "/api-keys"
	resp, body = call(t, http.MethodPost, keyPath, key, `{"name":"k"}`)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &saKey) != nil {
		t.Fatalf("create key: %d %s", resp.StatusCode, body)
	}

	addr := strings.TrimPrefix(endpoint, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	payload := `{"name":"in-flight"}`
	fmt.Fprintf(conn, "POST /api/v0/organizations/current/service-accounts HTTP/1.1\r\nHost: horizon\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
		saKey.Secret, len(payload), payload[:4])
	// The request records its key's last_used_at before it reads the body:
	// once that shows, the request is in progress.
	waitFor(t, "the request to be in progress", func() bool {
		_, body := call(t, http.MethodGet, keyPath+"/"+saKey.ID, key, "")
		return !strings.Contains(string(body), `"last_used_at":null`)
	})

	signals <- syscall.SIGTERM
	waitFor(t, "new connections to be refused", func() bool {
		probe, err := net.Dial("tcp", addr)
		if err == nil {
			probe.Close()
		}
		return err != nil
	})
	select {
	case err := <-done:
		t.Fatalf("run returned (%v) with a request in progress", err)
	default:
	}

	fmt.Fprint(conn, payload[4:])
	reply, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request lost its response: %v", err)
	}
	reply.Body.Close()
	if reply.StatusCode != http.StatusCreated {
		t.Errorf("the in-flight request: status %d, want 201", reply.StatusCode)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// With -data the command keeps its organization across runs, and refuses a
// second run on a file that a running one holds.
func TestRunWithDataFile(t *testing.T) {
	data := filepath.Join(t.TempDir(), "horizon.db")
	stdoutR, stdoutW := io.Pipe()
	signals := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-addr", "127.0.0.1:0", "-data", data}, stdoutW, io.Discard, signals)
		stdoutW.Close()
	}()
	lines := bufio.NewScanner(stdoutR)
	var first []string
	for len(first) < 3 && lines.Scan() {
		first = append(first, lines.Text())
	}
	if len(first) != 3 {
		t.Fatalf("stdout lines = %q (run: %v)", first, <-done)
	}

	var stderr bytes.Buffer
	err := run([]string{"-addr", "127.0.0.1:0", "-data", data}, io.Discard, &stderr, nil)
	if err == nil || !strings.Contains(err.Error(), "in use by another horizon-server") {
		t.Errorf("a second run on the file: %v", err)
	}
	signals <- syscall.SIGTERM
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}

	var again bytes.Buffer
	interrupt := make(chan os.Signal, 1)
	interrupt <- os.Interrupt
	if err := run([]string{"-addr", "127.0.0.1:0", "-data", data}, &again, io.Discard, interrupt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.String(), first[2]+"\n") {
		t.Errorf("the restart printed\n%s\nwant the stored organization, %s", again.String(), first[2])
	}
	if strings.Contains(again.String(), first[1]+"\n") {
		t.Error("the restart printed the earlier owner key instead of a new one")
	}
}
