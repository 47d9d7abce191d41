package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// TestShutdownCompletesHeldRequest holds a create with WithLatency, then
// shuts down: Shutdown ends the artificial wait rather than sitting it out,
// the change is committed, its response delivered, and the listener closed.
func TestShutdownCompletesHeldRequest(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "horizon.db")
	e := newTestEnv(t, WithLatency(time.Hour), WithDataFile(data))
	count := e.srv.RequestCount()
	type result struct {
		res response
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := e.owner.send(http.MethodPost, saCollection, map[string]any{"name": "in-flight"})
		done <- result{res, err}
	}()
	waitFor(t, "the request to arrive", func() bool { return e.srv.RequestCount() > count })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	got := <-done
	if got.err != nil {
		t.Fatalf("the in-flight request lost its response: %v", got.err)
	}
	var sa api.ServiceAccount
	got.res.want(http.StatusCreated).decode(&sa)
	if stored := storedAfterShutdown(t, data).ServiceAccounts; len(stored) != 1 || stored[0].ID != sa.ID {
		t.Errorf("stored %+v, want the account whose response was delivered", stored)
	}
	if _, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL(), "http://")); err == nil {
		t.Error("the listener accepts connections after Shutdown")
	}
}

// TestShutdownDrains keeps a request in progress by sending its body slowly:
// while Shutdown waits for it, new connections are refused; once the body is
// complete the request is handled and answered, and only then does Shutdown
// return.
func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "horizon.db")
	e := newTestEnv(t, WithDataFile(data))
	addr := strings.TrimPrefix(e.srv.URL(), "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	body := `{"name":"drained"}`
	count := e.srv.RequestCount()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: horizon\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
		saCollection, e.srv.BootstrapKey(), len(body), body[:5])
	waitFor(t, "the request to arrive", func() bool { return e.srv.RequestCount() > count })

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- e.srv.Shutdown(ctx)
	}()
	waitFor(t, "the listener to close", func() bool {
		probe, err := net.Dial("tcp", addr)
		if err == nil {
			probe.Close()
		}
		return err != nil
	})
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) with a request in progress", err)
	default:
	}

	fmt.Fprint(conn, body[5:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request lost its response: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	response{t: t, status: resp.StatusCode, header: resp.Header, body: raw}.want(http.StatusCreated)
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if stored := storedAfterShutdown(t, data).ServiceAccounts; len(stored) != 1 || stored[0].Name != "drained" {
		t.Errorf("stored %+v, want the drained request's account", stored)
	}
}

// TestStopAbandonsHeldRequest: Stop, unlike Shutdown, does not let a held
// request run; it changes nothing. The client sees the connection close, or
// a 503 if the refusal beats the close.
func TestStopAbandonsHeldRequest(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "horizon.db")
	e := newTestEnv(t, WithLatency(time.Hour), WithDataFile(data))
	count := e.srv.RequestCount()
	type result struct {
		res response
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := e.owner.send(http.MethodPost, saCollection, map[string]any{"name": "abandoned"})
		done <- result{res, err}
	}()
	waitFor(t, "the request to arrive", func() bool { return e.srv.RequestCount() > count })
	e.srv.Stop()
	if got := <-done; got.err == nil {
		got.res.wantError(http.StatusServiceUnavailable, "unavailable", nil)
	}
	waitFor(t, "the held request to end", func() bool { return strings.Contains(e.logs.String(), "status=503") })
	if n := len(e.srv.Store().Snapshot().ServiceAccounts); n != 0 {
		t.Errorf("a request held at Stop created %d service accounts", n)
	}
}

// storedAfterShutdown is what a server that shut down left in its data file:
// Shutdown closes the store, so the file is opened again to read it.
func storedAfterShutdown(t *testing.T, data string) Snapshot {
	t.Helper()
	st, err := openSQLiteStore(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return st.Snapshot()
}
