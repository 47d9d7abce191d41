package server

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"
)

// observe is the outermost layer: it counts requests, sets the Date header,
// turns panics into 500s and writes the access log line. It logs the method, path, status and
// duration only: never headers, bodies or the query string.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		start := time.Now()
		s.startWriteClock(w)
		// The Date header tells clients the server's time, by which keys
		// expire; it follows the injected clock so tests see their own time.
		w.Header().Set("Date", s.clock.Now().UTC().Format(http.TimeFormat))
		rec := &responseRecorder{ResponseWriter: w}
		defer func() {
			p := recover()
			if err, isErr := p.(error); p != nil && (!isErr || !errors.Is(err, http.ErrAbortHandler)) {
				s.logger.Error("panic serving request", "method", r.Method, "path", redactPath(r.URL.Path), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.wroteHeader {
					// Part of a response is out; only a cut connection tells the
					// client it is incomplete.
					p = http.ErrAbortHandler
				} else {
					s.writeError(rec, r, errors.New("handler panicked"))
					p = nil
				}
			}
			attrs := []any{"method", r.Method, "path", redactPath(r.URL.Path), "status", rec.status, "duration", time.Since(start)}
			if rec.dropped {
				attrs = append(attrs, "dropped", true)
			}
			s.logger.Info("request", attrs...)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// responseRecorder remembers the status for the access log. Unwrap lets
// http.ResponseController reach the connection for hijacking.
type responseRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	dropped     bool
}

func (r *responseRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *responseRecorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
