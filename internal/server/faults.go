package server

import (
	"math/rand/v2"
	"net/http"
	"sync"
)

// faults decides which committed changes lose their response, so clients can
// rehearse the case where a blind retry would duplicate a create.
type faults struct {
	failRate float64
	mu       sync.Mutex
	rng      *rand.Rand
}

func newFaults(failRate float64, seed uint64) *faults {
	return &faults{failRate: failRate, rng: rand.New(rand.NewPCG(seed, seed))} //nolint:gosec // G404: fault injection wants repeatable, not secret, randomness
}

func (f *faults) dropResponse() bool {
	if f.failRate <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Float64() < f.failRate
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
