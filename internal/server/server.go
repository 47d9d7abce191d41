// Package server is the Horizon reference server: an implementation of the
// Horizon API (see API.md), in memory or in a SQLite file (WithDataFile), that
// acceptance tests start in-process and users start from the command line to
// try the provider.
package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// Server is a running reference server.
type Server struct {
	store       Store
	clock       Clock
	logger      *slog.Logger
	limiter     *rateLimiter
	faults      *faults
	idempotency *idempotency

	handler        http.Handler
	httpServer     *http.Server
	baseURL        string
	organizationID string
	bootstrapKey   string

	// latency holds every request before it is handled (WithLatency).
	// draining ends when Shutdown begins, which ends the wait and lets held
	// requests run; stopping ends when Stop begins and is the base of every
	// request's context, so held requests give up instead.
	latency time.Duration
	// commitLatency holds the response of a committed change (WithCommitLatency).
	commitLatency time.Duration
	// writeTimeout bounds each response after its last hold (connections.go).
	writeTimeout time.Duration
	conns        connCounter
	draining     context.Context
	drain        context.CancelFunc
	stopping     context.Context
	stop         context.CancelFunc

	requests  atomic.Int64
	stopOnce  sync.Once
	closeOnce sync.Once
	closeErr  error
}

type config struct {
	addr         string
	dataFile     string
	bootstrapKey string
	// bootstrapKeyGiven tells a bootstrap key that WithBootstrapKey set from
	// one that newConfig generated.
	bootstrapKeyGiven bool
	defaultServerRole string
	clock             Clock
	logOutput         io.Writer
	rateLimit         int
	failRate          float64
	errorRate         float64
	latency           time.Duration
	commitLatency     time.Duration
	faultSeed         *int64
	timeouts          httpTimeouts
	maxConnections    int
}

// httpTimeouts bound how long a client may take over a request, so a slow or
// idle client cannot hold a connection (and its goroutine) forever (see
// connections.go).
type httpTimeouts struct {
	// readHeader bounds reading the request line and headers.
	readHeader time.Duration
	// read bounds reading the whole request, body included.
	read time.Duration
	// write bounds handling a request and writing its response, counted
	// from the end of any hold of WithLatency or WithCommitLatency.
	write time.Duration
	// idle bounds how long a keep-alive connection waits for its next request.
	idle time.Duration
}

var defaultTimeouts = httpTimeouts{readHeader: 10 * time.Second, read: 30 * time.Second, write: 30 * time.Second, idle: 120 * time.Second}

// maxHeaderBytes caps the request line and headers; net/http answers a larger
// request with 431 (it allows 4 KiB of slack over the limit).
const maxHeaderBytes = 16 << 10

// Option configures New.
type Option func(*config)

// WithAddr sets the listen address; the default, "127.0.0.1:0", picks a free
// loopback port.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithDataFile keeps everything in a SQLite database at path, created when
// absent, instead of in memory: a server started again on the same file holds
// everything committed before, its organization and owner included (see New).
// New fails when another server uses the file, or when the file cannot be
// read, is not this server's, is damaged or was written by a newer version;
// it leaves such a file as it is.
func WithDataFile(path string) Option { return func(c *config) { c.dataFile = path } }

// WithBootstrapKey sets the seeded owner's API key instead of generating one.
// New fails unless ValidateBootstrapKey accepts it.
func WithBootstrapKey(key string) Option { return func(c *config) { c.bootstrapKey = key } }

// WithDefaultServerRole sets the seeded organization's default_server_role:
// "none" (the default; servers without a grant are hidden from members and
// viewers), "viewer" or "user". New fails unless ValidateDefaultServerRole
// accepts it.
func WithDefaultServerRole(role string) Option {
	return func(c *config) { c.defaultServerRole = role }
}

// WithClock sets the clock behind timestamps, expiry, idempotency retention
// and rate limits; the default is real time.
func WithClock(clock Clock) Option { return func(c *config) { c.clock = clock } }

// WithLogOutput sets where the access log and server logs go; the default
// discards them.
func WithLogOutput(w io.Writer) Option { return func(c *config) { c.logOutput = w } }

// WithRateLimit allows perSecond requests per second per organization, with a
// burst of perSecond, and answers the rest with 429; 0 means unlimited.
func WithRateLimit(perSecond int) Option { return func(c *config) { c.rateLimit = perSecond } }

// WithFailRate makes a fraction f (0 to 1) of successful requests that changed
// something lose their response after the change was committed: the
// connection is closed without a reply. Errors and idempotent replays are
// never dropped.
func WithFailRate(f float64) Option { return func(c *config) { c.failRate = f } }

// WithErrorRate makes a fraction f (0 to 1) of requests, of any method, fail
// with 503 and Retry-After: 0 before anything else is done: nothing changes,
// and the rate limit is not charged.
func WithErrorRate(f float64) Option { return func(c *config) { c.errorRate = f } }

// WithLatency makes every API and MCP request wait d before it is handled, so
// that tests can interrupt a client mid-request. A client that gives up
// during the wait (or Stop) ends it and the request is not handled, so
// nothing changes; a graceful Shutdown ends it too, and the request is
// handled at once, so draining does not wait out the delay.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// WithCommitLatency holds the response of every successful mutation for d after
// the change was committed, whether or not the client still waits: the window
// in which a client that gives up (an interrupted apply) leaves an object it
// never heard of.
func WithCommitLatency(d time.Duration) Option { return func(c *config) { c.commitLatency = d } }

// WithFaultSeed makes fault injection (WithFailRate, WithErrorRate)
// deterministic: the same seed and the same sequence of requests give the
// same faults.
func WithFaultSeed(seed int64) Option { return func(c *config) { c.faultSeed = &seed } }

// New seeds a fresh store (one organization, its owner and three servers) and
// starts serving. It returns once the listener accepts connections.
//
// With WithDataFile, a file that already holds an organization is not seeded
// again: the server keeps the stored organization, its owner and servers, and
// gives the owner the bootstrap key, stored alongside the earlier keys (which
// keep working) unless it is stored already. WithDefaultServerRole then has
// no effect: the stored organization keeps its own.
func New(opts ...Option) (*Server, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %s: %w", cfg.addr, err)
	}
	s, err := newServer(cfg, baseURL(ln.Addr()))
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	ln = limitConnections(ln, cfg.maxConnections, &s.conns)
	go func() {
		if err := s.httpServer.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("serve", "error", err)
		}
	}()
	return s, nil
}

func newConfig(opts []Option) (*config, error) {
	cfg := &config{
		addr:              "127.0.0.1:0",
		defaultServerRole: string(api.ServerRoleNone),
		clock:             SystemClock{},
		logOutput:         io.Discard,
		timeouts:          defaultTimeouts,
		maxConnections:    defaultMaxConnections,
	}
	for _, opt := range opts {
		opt(cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.bootstrapKeyGiven = cfg.bootstrapKey != ""
	if !cfg.bootstrapKeyGiven {
		cfg.bootstrapKey = newSecret()
	}
	return cfg, nil
}

// newServer builds a seeded server whose resources live under baseURL,
// without listening: New adds the listener, and tests that drive Handler()
// directly need none.
func newServer(cfg *config, baseURL string) (*Server, error) {
	logger := slog.New(redactingHandler{slog.NewTextHandler(cfg.logOutput, nil)})
	open := openMemoryStore
	if cfg.dataFile != "" {
		open = func() (*sqliteStore, error) { return openSQLiteStore(cfg.dataFile) }
	}
	store, err := open()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	draining, drain := context.WithCancel(context.Background())
	stopping, stop := context.WithCancel(context.Background())
	s := &Server{
		store:         store,
		clock:         cfg.clock,
		logger:        logger,
		faults:        newFaults(cfg.failRate, cfg.errorRate, cfg.seed()),
		idempotency:   newIdempotency(store),
		baseURL:       baseURL,
		bootstrapKey:  cfg.bootstrapKey,
		latency:       cfg.latency,
		commitLatency: cfg.commitLatency,
		writeTimeout:  cfg.timeouts.write,
		draining:      draining,
		drain:         drain,
		stopping:      stopping,
		stop:          stop,
	}
	if cfg.rateLimit > 0 {
		s.limiter = newRateLimiter(cfg.rateLimit)
	}
	if err := s.seedOrResume(AccessRole(cfg.defaultServerRole), cfg.bootstrapKeyGiven); err != nil {
		drain()
		stop()
		_ = store.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	s.handler = s.newHandler()
	s.httpServer = &http.Server{
		Handler:           s.handler,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: cfg.timeouts.readHeader,
		ReadTimeout:       cfg.timeouts.read,
		IdleTimeout:       cfg.timeouts.idle,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return stopping },
	}
	return s, nil
}

func (c *config) validate() error {
	if c.bootstrapKey != "" {
		if err := ValidateBootstrapKey(c.bootstrapKey); err != nil {
			return fmt.Errorf("server: WithBootstrapKey: %w", err)
		}
	}
	if err := ValidateDefaultServerRole(c.defaultServerRole); err != nil {
		return fmt.Errorf("server: WithDefaultServerRole: %w", err)
	}
	if c.clock == nil {
		return errors.New("server: WithClock: clock must not be nil")
	}
	if c.logOutput == nil {
		return errors.New("server: WithLogOutput: writer must not be nil")
	}
	if c.rateLimit < 0 {
		return fmt.Errorf("server: WithRateLimit: %d requests per second is negative; use 0 for unlimited", c.rateLimit)
	}
	if !isFraction(c.failRate) {
		return fmt.Errorf("server: WithFailRate: %v is not between 0 and 1", c.failRate)
	}
	if !isFraction(c.errorRate) {
		return fmt.Errorf("server: WithErrorRate: %v is not between 0 and 1", c.errorRate)
	}
	if c.commitLatency < 0 {
		return fmt.Errorf("server: WithCommitLatency: %v is negative; use 0 for none", c.commitLatency)
	}
	if c.latency < 0 {
		return fmt.Errorf("server: WithLatency: %v is negative; use 0 for none", c.latency)
	}
	return nil
}

func isFraction(f float64) bool { return !math.IsNaN(f) && f >= 0 && f <= 1 }

func (c *config) seed() uint64 {
	if c.faultSeed != nil {
		return uint64(*c.faultSeed) //nolint:gosec // G115: any bit pattern is a fine seed
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// baseURL names the listener by a loopback address when it listens on all
// interfaces, because "0.0.0.0" is not a place a client can connect to.
func baseURL(addr net.Addr) string {
	host, port := "127.0.0.1", ""
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
		if !tcp.IP.IsUnspecified() {
			host = tcp.IP.String()
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// seedOrResume seeds an empty store, or resumes the organization of one that
// a server used before.
func (s *Server) seedOrResume(defaultServerRole AccessRole, bootstrapKeyGiven bool) error {
	orgs, err := s.store.ListOrganizations()
	if err != nil {
		return fmt.Errorf("reading the stored organization: %w", err)
	}
	if len(orgs) == 0 {
		if err := s.seed(defaultServerRole); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		return nil
	}
	return s.resume(orgs[0], bootstrapKeyGiven)
}

// resume keeps the stored organization and its owner, and makes sure the
// owner holds the bootstrap key: a given key is added unless it is stored
// already (it must then be the owner's, and active); a generated one is new.
func (s *Server) resume(org Organization, bootstrapKeyGiven bool) error {
	users, err := s.store.ListUsers(org.ID)
	if err != nil {
		return fmt.Errorf("reading the stored owner: %w", err)
	}
	i := slices.IndexFunc(users, func(u User) bool { return u.Role == api.RoleOwner })
	if i < 0 {
		return fmt.Errorf("the stored organization %s has no owner", org.ID)
	}
	owner := users[i]
	now := s.clock.Now()
	if bootstrapKeyGiven {
		key, actor, err := s.store.ResolveAPIKey(hashSecret(s.bootstrapKey))
		switch {
		case err == nil && actor.ID != owner.ID:
			return fmt.Errorf("the bootstrap key belongs to %s %s, not to the owner %s of the stored organization; pass the owner's key, or none to get a new one",
				actor.Type, actor.ID, owner.ID)
		case err == nil && key.Status(now) != api.KeyStatusActive:
			return fmt.Errorf("the bootstrap key is stored but %s; pass an active key of the owner, or none to get a new one", key.Status(now))
		case err == nil:
			s.organizationID = org.ID
			return nil
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("looking up the bootstrap key: %w", err)
		}
	}
	err = s.store.CreateAPIKey(PersonalKeys(owner.ID), newAPIKey(org.ID, owner.ID, "bootstrap", s.bootstrapKey, now, time.Time{}))
	if errors.Is(err, ErrKeyLimit) {
		return fmt.Errorf("the owner already holds %d active keys, the most a user may: pass one of them as the bootstrap key, "+
			"or revoke one (DELETE /api/v0/me/api-keys/{key})", api.MaxActivePersonalKeysPerUser)
	}
	if err != nil {
		return fmt.Errorf("storing the bootstrap key: %w", err)
	}
	s.organizationID = org.ID
	return nil
}

func (s *Server) seed(defaultServerRole AccessRole) error {
	now := s.clock.Now()
	org := Organization{ID: newID("org_"), Name: "Acme", DefaultServerRole: defaultServerRole, CreatedAt: now}
	owner := User{ID: newID("usr_"), OrganizationID: org.ID, Name: "Owner", Role: api.RoleOwner, CreatedAt: now}
	key := newAPIKey(org.ID, owner.ID, "bootstrap", s.bootstrapKey, now, time.Time{})
	if err := s.store.CreateOrganization(org); err != nil {
		return err
	}
	if err := s.store.CreateUser(owner, key); err != nil {
		return err
	}
	for _, srv := range []MCPServer{
		{Name: "Weather", Slug: "weather", Description: "Forecasts and current conditions."},
		{Name: "Search", Slug: "search", Description: "Web search."},
		{Name: "Internal Tools", Slug: "internal-tools", Description: "Tools for the organization's own systems."},
	} {
		srv.ID, srv.OrganizationID, srv.CreatedAt = newID("srv_"), org.ID, now
		if err := s.store.CreateMCPServer(srv); err != nil {
			return err
		}
	}
	s.organizationID = org.ID
	return nil
}

// AddUser adds a user with role to the seeded organization, with a first
// personal key, and returns the user's id and that key's secret. Horizon's UI
// creates users; the reference server has no API for it, so tests and
// demonstrations that need users other than the owner call this.
func (s *Server) AddUser(name string, role Role) (userID, secret string, err error) {
	if !role.atLeast(api.RoleViewer) {
		return "", "", fmt.Errorf("server: AddUser: %q is not an organization role", role)
	}
	now := s.clock.Now()
	user := User{ID: newID("usr_"), OrganizationID: s.organizationID, Name: name, Role: role, CreatedAt: now}
	secret = newSecret()
	if err := s.store.CreateUser(user, newAPIKey(user.OrganizationID, user.ID, "first", secret, now, time.Time{})); err != nil {
		return "", "", fmt.Errorf("server: AddUser: %w", err)
	}
	return user.ID, secret, nil
}

// URL returns the server's base URL, such as http://127.0.0.1:8787.
func (s *Server) URL() string { return s.baseURL }

// BootstrapKey returns the seeded owner's API key.
func (s *Server) BootstrapKey() string { return s.bootstrapKey }

// OrganizationID returns the id of the seeded organization.
func (s *Server) OrganizationID() string { return s.organizationID }

// Handler returns the server's HTTP handler, for mounting it elsewhere.
func (s *Server) Handler() http.Handler { return s.handler }

// Store returns the server's store, for tests that inspect stored state.
func (s *Server) Store() Store { return s.store }

// RequestCount returns how many requests the server has handled.
func (s *Server) RequestCount() int64 { return s.requests.Load() }

// RateLimitedCount returns how many requests the rate limit (WithRateLimit)
// refused with 429.
func (s *Server) RateLimitedCount() int64 {
	if s.limiter == nil {
		return 0
	}
	return s.limiter.refused.Load()
}

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, or for ctx to end. Requests held by WithLatency are handled at once:
// their changes are committed and their responses delivered.
func (s *Server) Shutdown(ctx context.Context) error {
	s.drain()
	err := s.httpServer.Shutdown(ctx)
	if err == nil {
		err = s.closeStore()
	}
	return err
}

// Stop closes the listener and all connections at once; requests still held
// by WithLatency are not handled. It is safe to call more than once, and
// after Shutdown.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.stop()
		_ = s.httpServer.Close()
	})
	_ = s.closeStore()
}

// closeStore closes the store once, which releases a data file for the next
// server.
func (s *Server) closeStore() error {
	s.closeOnce.Do(func() { s.closeErr = s.store.Close() })
	return s.closeErr
}
