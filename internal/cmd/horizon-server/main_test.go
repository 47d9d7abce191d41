package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
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
		{[]string{"-default-server-role", "admin"}, "-default-server-role"},
		{[]string{"-rate-limit", "-1"}, "-rate-limit"},
		{[]string{"-rate-limit", "many"}, "-rate-limit"},
		{[]string{"-fail-rate", "1.5"}, "-fail-rate"},
		{[]string{"-fail-rate", "NaN"}, "-fail-rate"},
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

func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run([]string{"-h"}, io.Discard, &stderr, nil); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run = %v", err)
	}
	for _, name := range []string{"-addr", "-bootstrap-key", "-default-server-role", "-rate-limit", "-fail-rate"} {
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
