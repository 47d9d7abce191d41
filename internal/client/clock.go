package client

import (
	"net/http"
	"sync"
	"time"
)

// serverClock estimates Horizon's current time from the Date header of its
// responses. Expiry is Horizon's decision, so plans that compare against expiry
// times (renew_before) use Horizon's clock, not the local one, which may be skewed.
type serverClock struct {
	mu       sync.Mutex
	server   time.Time // the last Date seen
	received time.Time // local monotonic time when it was seen
}

func (c *serverClock) observe(date string) {
	if date == "" {
		return
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.server, c.received = t, time.Now()
	c.mu.Unlock()
}

// ServerTime estimates Horizon's current time from the last response's Date
// header plus the time elapsed since. ok is false before any response.
func (c *Client) ServerTime() (now time.Time, ok bool) {
	c.clock.mu.Lock()
	defer c.clock.mu.Unlock()
	if c.clock.server.IsZero() {
		return time.Time{}, false
	}
	return c.clock.server.Add(time.Since(c.clock.received)), true
}
