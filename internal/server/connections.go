package server

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
)

// A slow or stalled client must cost the server a bounded amount: a
// connection, its goroutine and its file descriptor for a bounded time, and
// never more than maxConnections of them at once. The read side is bounded by
// net/http's ReadHeaderTimeout, ReadTimeout and IdleTimeout (see
// httpTimeouts). The write side is bounded here, per response: a client that
// pipelines requests and never reads their responses fills the socket's
// buffers, and without a write deadline the server's write would wait for it
// forever.
//
// http.Server.WriteTimeout cannot serve: it counts from the moment the
// request's headers were read, so it would cut off the responses that
// WithLatency and WithCommitLatency hold on purpose. The deadline is set
// instead when a request starts and again when a hold ends, so a response
// always has the whole write timeout after its last hold.

// defaultMaxConnections caps the connections served at once. Terraform runs
// 10 operations in parallel, and the client keeps at most 32 idle
// connections per host, so several runs sharing one server stay far below.
const defaultMaxConnections = 256

// limitConnections makes the listener accept at most n connections at once:
// the next one waits in the kernel's backlog until one closes, which the
// timeouts guarantee. counter counts them as the limit does: a connection
// counts from its accept until its close.
func limitConnections(ln net.Listener, n int, counter *connCounter) net.Listener {
	return netutil.LimitListener(&countingListener{Listener: ln, counter: counter}, n)
}

// startWriteClock gives the response the whole write timeout from now. Where
// the connection has no deadline to set (HTTP/2 through a proxy, a recorder),
// there is nothing to bound.
func (s *Server) startWriteClock(w http.ResponseWriter) {
	if s.writeTimeout <= 0 {
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.writeTimeout))
}

// connCounter counts the connections open at a time, and the most that were,
// for the tests that hold the server to its bounds.
type connCounter struct {
	open atomic.Int64
	peak atomic.Int64
}

func (c *connCounter) opened() {
	n := c.open.Add(1)
	for peak := c.peak.Load(); n > peak && !c.peak.CompareAndSwap(peak, n); peak = c.peak.Load() {
	}
}

// countingListener counts inside the connection limit: the limit takes its
// slot before a connection is accepted and frees it after the connection is
// closed, so the count never exceeds the limit.
type countingListener struct {
	net.Listener
	counter *connCounter
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.counter.opened()
	return &countedConn{Conn: conn, counter: l.counter}, nil
}

type countedConn struct {
	net.Conn
	counter *connCounter
	once    sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.counter.open.Add(-1) })
	return c.Conn.Close()
}
