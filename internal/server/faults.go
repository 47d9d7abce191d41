package server

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// faults decides which requests fail before they are handled and which
// committed changes lose their response, so clients can rehearse bad days:
// retries after a 503, and the case where a blind retry of a create would
// duplicate it.
type faults struct {
	failRate  float64
	errorRate float64
	mu        sync.Mutex
	// Each fault draws from its own stream, so enabling one does not change
	// the sequence of the other under the same seed.
	dropRNG  *rand.Rand
	errorRNG *rand.Rand
}

func newFaults(failRate, errorRate float64, seed uint64) *faults {
	return &faults{
		failRate:  failRate,
		errorRate: errorRate,
		dropRNG:   rand.New(rand.NewPCG(seed, seed)),                    //nolint:gosec // G404: fault injection wants repeatable, not secret, randomness
		errorRNG:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), //nolint:gosec // G404: as above
	}
}

// dropResponse decides whether a committed change loses its response.
func (f *faults) dropResponse() bool { return f.draw(f.failRate, f.dropRNG) }

// failRequest decides whether a request fails with 503 before it is handled.
func (f *faults) failRequest() bool { return f.draw(f.errorRate, f.errorRNG) }

func (f *faults) draw(rate float64, rng *rand.Rand) bool {
	if rate <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return rng.Float64() < rate
}

// errUnavailable is the injected failure of WithErrorRate. Retry-After: 0
// says that an immediate retry is fine: nothing was done.
var errUnavailable = &apiError{
	status:  http.StatusServiceUnavailable,
	code:    api.CodeUnavailable,
	message: "the server is unavailable (an injected fault); nothing was changed, retry the request",
	header:  http.Header{"Retry-After": {"0"}},
}

// errCanceled answers a request whose client gave up, or whose server
// stopped, while WithLatency held it. Nobody is likely to read it; the access
// log is.
var errCanceled = &apiError{
	status:  http.StatusServiceUnavailable,
	code:    api.CodeUnavailable,
	message: "the request was canceled before it was handled; nothing was changed",
}

// injectFaults runs before routing: it holds the request for the configured
// latency, then fails the configured fraction of requests with 503, both
// before anything is authenticated, counted or changed.
func (s *Server) injectFaults(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hold(w, r) {
			s.writeFault(w, r, mux, errCanceled)
			return
		}
		if s.faults.failRequest() {
			s.writeFault(w, r, mux, errUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// writeFault answers in the shape the route would have used: JSON-RPC on an
// MCP endpoint, the API's error body everywhere else.
func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, mux *http.ServeMux, err error) {
	if _, pattern := mux.Handler(r); pattern == mcpPattern {
		s.writeMCPError(w, r, jsonrpc.ID{}, err)
		return
	}
	s.writeError(w, r, err)
}

// hold makes the request wait s.latency. It reports false when the request's
// context ended first (the client hung up, or Stop began): the request must
// not be handled then. A graceful shutdown ends the wait early and the
// request is handled, so that draining does not wait out artificial delays.
func (s *Server) hold(w http.ResponseWriter, r *http.Request) bool {
	if s.latency <= 0 {
		return true
	}
	if r.Body != nil && r.Body != http.NoBody {
		// net/http notices that a client hung up (and cancels the request's
		// context) only once the request body has been consumed, so read it
		// now; readBody gets the same bytes, and the same error, later, in
		// the order of checks that API.md documents.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		r.Body = &bufferedBody{Reader: bytes.NewReader(body), err: err}
	}
	timer := time.NewTimer(s.latency)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-s.draining.Done():
	case <-r.Context().Done():
	}
	s.startWriteClock(w)
	return r.Context().Err() == nil
}

// bufferedBody replays a body that was read ahead, ending with the error the
// read ended with, if any.
type bufferedBody struct {
	*bytes.Reader
	err error
}

func (b *bufferedBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if errors.Is(err, io.EOF) && b.err != nil {
		err = b.err
	}
	return n, err
}

func (b *bufferedBody) Close() error { return nil }

// loseCommittedResponse applies the faults that only a committed change
// suffers: it holds the response for WithCommitLatency, then decides
// (WithFailRate) whether the response is lost. A lost response is never
// written: the connection is cut, and loseCommittedResponse reports true.
func (s *Server) loseCommittedResponse(w http.ResponseWriter, status int) bool {
	if s.commitLatency > 0 {
		select {
		case <-time.After(s.commitLatency):
		case <-s.stopping.Done():
		}
		s.startWriteClock(w)
	}
	if !s.faults.dropResponse() {
		return false
	}
	if rec, ok := w.(*responseRecorder); ok {
		rec.status, rec.dropped = status, true
	}
	abortResponse(w)
	return true
}

// abortResponse closes the connection without writing anything. Where the
// connection cannot be hijacked (HTTP/2, a recorder), aborting the handler is
// net/http's own way of cutting a response off.
func abortResponse(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
