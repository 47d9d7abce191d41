package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"github.com/horizonhq/terraform-provider-horizon/internal/testutil"
)

// The fuzz targets send hostile input through the real Handler() as the
// organization owner, without a listener, to a server whose store is seeded
// afresh for each input. Their seeds run as ordinary tests; run `make fuzz`
// to search further. The invariants, for every input:
//
//   - never a 5xx, which is also how a panic shows (observe turns it into a 500);
//   - every 400 is invalid_request, and names a field of the request in
//     details.field when the body is a JSON object (no field otherwise);
//   - a 2xx has exactly the documented shape, and the store agrees with it;
//   - a refusal changes nothing; the store stays consistent (at most two
//     active keys per account, unique names, one grant per account and server);
//   - no log line holds a secret.

const fuzzBaseURL = "http://horizon.test"

// fuzzEnv is a reference server driven through its handler.
type fuzzEnv struct {
	t     testing.TB
	srv   *Server
	clock *ManualClock
	logs  *testutil.SyncBuffer
	// secrets are every secret the server handed out, which no log may hold.
	secrets []string
}

func newFuzzEnv(t testing.TB) *fuzzEnv {
	t.Helper()
	clock := NewManualClock(testStart)
	logs := &testutil.SyncBuffer{}
	cfg, err := newConfig([]Option{WithClock(clock), WithLogOutput(logs)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(cfg, fuzzBaseURL)
	if err != nil {
		t.Fatal(err)
	}
	e := &fuzzEnv{t: t, srv: srv, clock: clock, logs: logs}
	e.reset(t)
	return e
}

// reset gives the next input a freshly seeded store and clock. It keeps the
// server's handler and its store's database, emptied: building the routes
// or the schema again would cost more than most inputs do, and every input's
// time counts twice, because the fuzzer minimizes each new interesting input.
func (e *fuzzEnv) reset(t testing.TB) {
	t.Helper()
	e.t = t
	e.clock.Set(testStart)
	store := e.srv.store.(*sqliteStore)
	if err := store.write(func(q querier) error {
		// Children first: the foreign keys hold while the tables empty.
		for _, table := range []string{"idempotency_records", "server_grants", "api_keys", "service_accounts", "mcp_servers", "users", "organizations"} {
			if _, err := q.ExecContext(ctxBackground, `DELETE FROM `+table); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.srv.idempotency = newIdempotency(store)
	if err := e.srv.seed(api.ServerRoleNone); err != nil {
		t.Fatal(err)
	}
	e.logs.Take()
	e.secrets = []string{e.srv.BootstrapKey()}
	// The first request would record the owner key's last_used_at; record it
	// now, so that the fuzzed requests find nothing else to change.
	owner, _, err := store.ResolveAPIKey(hashSecret(e.srv.BootstrapKey()))
	if err == nil {
		err = store.MarkAPIKeyUsed(owner.ID, testStart)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// addServiceAccount and addKey prepare an input's state through the store:
// the setup is not under test, and it runs for every input.
func (e *fuzzEnv) addServiceAccount(name, description string) api.ServiceAccount {
	e.t.Helper()
	now := e.clock.Now()
	sa := ServiceAccount{ID: newID("sa_"), OrganizationID: e.srv.OrganizationID(), Name: name, Description: description,
		Role: api.RoleMember, CreatedAt: now, UpdatedAt: now}
	if err := e.srv.Store().CreateServiceAccount(sa, nil); err != nil {
		e.t.Fatal(err)
	}
	return toServiceAccountJSON(sa)
}

func (e *fuzzEnv) addKey(saID, name string) APIKey {
	e.t.Helper()
	secret := newSecret()
	key := newAPIKey(e.srv.OrganizationID(), saID, name, secret, e.clock.Now(), time.Time{})
	if err := e.srv.Store().CreateAPIKey(ServiceAccountKeys(key.OwnerID), key); err != nil {
		e.t.Fatal(err)
	}
	e.secrets = append(e.secrets, secret)
	return key
}

type fuzzReply struct {
	status int
	header http.Header
	body   []byte
}

// serve sends one request as the owner. The path is set on the URL as is, so
// a fuzzed segment need not survive URL parsing; idempotencyKey "" sends
// no header.
func (e *fuzzEnv) serve(method, path string, body []byte, idempotencyKey string) fuzzReply {
	e.t.Helper()
	return e.serveAs(e.srv.BootstrapKey(), method, path, body, idempotencyKey)
}

func (e *fuzzEnv) serveAs(key, method, path string, body []byte, idempotencyKey string) fuzzReply {
	e.t.Helper()
	req := httptest.NewRequest(method, fuzzBaseURL+"/", bytes.NewReader(body))
	req.URL.Path = path
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", mcpAccept)
	if idempotencyKey != "" {
		req.Header["Idempotency-Key"] = []string{idempotencyKey}
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	reply := fuzzReply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if reply.status >= 500 {
		e.t.Fatalf("%s %q: status %d (a server fault or a panic): %s\nlog:\n%s", method, path, reply.status, reply.body, e.logs)
	}
	e.checkLogs()
	return reply
}

// mustServe sends a setup request that has to succeed.
func (e *fuzzEnv) mustServe(method, path, body string, v any) {
	e.t.Helper()
	reply := e.serve(method, path, []byte(body), "")
	if reply.status/100 != 2 {
		e.t.Fatalf("setup %s %s: status %d: %s", method, path, reply.status, reply.body)
	}
	if v != nil {
		if err := json.Unmarshal(reply.body, v); err != nil {
			e.t.Fatal(err)
		}
	}
}

// checkLogs checks the lines logged since the last check for secrets (the
// Authorization header's value is the bootstrap key or a created secret).
func (e *fuzzEnv) checkLogs() {
	e.t.Helper()
	logs := e.logs.Take()
	for _, secret := range e.secrets {
		if strings.Contains(logs, secret) {
			e.t.Fatalf("the log holds a secret:\n%s", logs)
		}
	}
}

func (e *fuzzEnv) snapshot() Snapshot { return e.srv.Store().Snapshot() }

func (e *fuzzEnv) wantUnchanged(beforeSnap Snapshot, reply fuzzReply) {
	e.t.Helper()
	if afterSnap := e.snapshot(); !reflect.DeepEqual(beforeSnap, afterSnap) {
		before, after := dumpJSON(beforeSnap), dumpJSON(afterSnap)
		at := 0
		for at < min(len(before), len(after)) && before[at] == after[at] {
			at++
		}
		from := max(0, at-80)
		e.t.Fatalf("status %d (%s) changed the store at\nbefore ...%.200s\nafter  ...%.200s", reply.status, reply.body, before[from:], after[from:])
	}
}

func dumpJSON(v any) string {
	dump, _ := json.Marshal(v)
	return string(dump)
}

// activeKeys counts an account's active keys in the store.
func (e *fuzzEnv) activeKeys(saID string) []APIKey {
	var active []APIKey
	for _, k := range e.srv.Store().Snapshot().APIKeys {
		if k.OwnerID == saID && k.Status(e.clock.Now()) == api.KeyStatusActive {
			active = append(active, k)
		}
	}
	return active
}

// isJSONObject reports whether the server must read body as a JSON object:
// one object, or nothing at all (which counts as {}).
func isJSONObject(body []byte) bool {
	trimmed := bytes.Trim(body, " \t\r\n")
	return len(trimmed) == 0 || (json.Valid(trimmed) && trimmed[0] == '{')
}

// validIdempotencyKey is API.md's rule, written out independently of the
// server's: 1 to 255 printable ASCII characters.
func validIdempotencyKey(key string) bool {
	if key == "" || len(key) > 255 {
		return false
	}
	for i := range len(key) {
		if key[i] < ' ' || key[i] > '~' {
			return false
		}
	}
	return true
}

// checkInvalid checks a 400: invalid_request, and details.field naming one
// of the request's fields (accepted, or present in the body) when the body
// is a JSON object. A bad Idempotency-Key header is reported before the body.
func (e *fuzzEnv) checkInvalid(reply fuzzReply, body []byte, idempotencyKey string, accepted ...string) {
	e.t.Helper()
	var parsed struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(reply.body, &parsed); err != nil || parsed.Error.Code != "invalid_request" ||
		parsed.Error.Message == "" || parsed.Error.Details == nil {
		e.t.Fatalf("400 without an invalid_request error body: %s", reply.body)
	}
	field, hasField := parsed.Error.Details["field"]
	if idempotencyKey != "" && !validIdempotencyKey(idempotencyKey) {
		if field != "Idempotency-Key" {
			e.t.Fatalf("a bad Idempotency-Key %q answered with field %v: %s", idempotencyKey, field, reply.body)
		}
		return
	}
	if !isJSONObject(body) {
		if hasField {
			e.t.Fatalf("a body that is not a JSON object got details.field: %s", reply.body)
		}
		return
	}
	if !hasField && !utf8.Valid(body) {
		// JSON is UTF-8: a field name that is not has no name to give.
		return
	}
	name, ok := field.(string)
	if !ok {
		e.t.Fatalf("a JSON object body got a 400 without details.field: %s", reply.body)
	}
	if slices.Contains(accepted, name) {
		return
	}
	var present map[string]json.RawMessage
	if json.Unmarshal(body, &present) == nil {
		if _, ok := present[name]; ok {
			return
		}
	}
	e.t.Fatalf("details.field %q is neither an accepted field (%v) nor in the body: %s", name, accepted, reply.body)
}

// wantKeys decodes a JSON object and checks that its members are exactly
// required plus any of optional.
func wantKeys(t testing.TB, body []byte, required []string, optional ...string) map[string]json.RawMessage {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	for _, name := range required {
		if _, ok := obj[name]; !ok {
			t.Fatalf("lacks %q: %s", name, body)
		}
	}
	for name := range obj {
		if !slices.Contains(required, name) && !slices.Contains(optional, name) {
			t.Fatalf("has undocumented member %q: %s", name, body)
		}
	}
	return obj
}

// decodeStrict decodes a response into its wire type, refusing members the
// type does not have.
func decodeStrict(t testing.TB, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

var (
	fuzzSANamePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	fuzzSlugPattern    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	fuzzSecretPattern  = regexp.MustCompile(`^fmcp_[A-Za-z0-9_-]{43}$`)
	fuzzIDPattern      = regexp.MustCompile(`^(sa|key|srv)_[a-z2-7]{16}$`)
	fuzzRFC3339UTC     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	serviceAccountKeys = []string{"id", "organization_id", "name", "description", "role", "disabled", "created_at", "updated_at"}
	apiKeyKeys         = []string{"id", "organization_id", "service_account_id", "name", "masked_secret", "status", "created_at", "expires_at", "revoked_at", "last_used_at"}
	serverKeys         = []string{"id", "organization_id", "name", "slug", "description", "url", "created_at"}
	serverGrantKeys    = []string{"service_account_id", "server_id", "organization_id", "role", "capabilities", "created_at", "updated_at"}
)

// utcTimestamps reports whether every value is an RFC 3339 time in UTC with
// whole seconds, as API.md promises.
func utcTimestamps(values ...string) bool {
	for _, v := range values {
		if _, err := time.Parse(time.RFC3339, v); err != nil || !fuzzRFC3339UTC.MatchString(v) {
			return false
		}
	}
	return true
}

func printable(s string, maxLength int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= 1 && n <= maxLength && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

func (e *fuzzEnv) checkServiceAccount(sa api.ServiceAccount) {
	e.t.Helper()
	if !strings.HasPrefix(sa.ID, "sa_") || !fuzzIDPattern.MatchString(sa.ID) || sa.OrganizationID != e.srv.OrganizationID() ||
		!fuzzSANamePattern.MatchString(sa.Name) || !utf8.ValidString(sa.Description) || utf8.RuneCountInString(sa.Description) > 1024 ||
		!slices.Contains(api.ServiceAccountRoles, sa.Role) || !utcTimestamps(sa.CreatedAt, sa.UpdatedAt) {
		e.t.Fatalf("service account breaks API.md: %+v", sa)
	}
	for _, stored := range e.srv.Store().Snapshot().ServiceAccounts {
		if stored.ID == sa.ID {
			if toServiceAccountJSON(stored) != sa {
				e.t.Fatalf("response %+v, store %+v", sa, stored)
			}
			return
		}
	}
	e.t.Fatalf("service account %s is not in the store", sa.ID)
}

// checkAPIKey checks a key as the API shows it; withSecret is true for the
// response to a create.
func (e *fuzzEnv) checkAPIKey(raw []byte, saID string, withSecret bool) api.Key {
	e.t.Helper()
	if withSecret {
		wantKeys(e.t, raw, append(slices.Clone(apiKeyKeys), "secret"))
	} else {
		wantKeys(e.t, raw, apiKeyKeys)
	}
	var key api.Key
	decodeStrict(e.t, raw, &key)
	random := strings.TrimPrefix(key.Secret, "fmcp_")
	if !strings.HasPrefix(key.ID, "key_") || !fuzzIDPattern.MatchString(key.ID) || key.OrganizationID != e.srv.OrganizationID() ||
		key.ServiceAccountID != saID || !printable(key.Name, 128) || !utcTimestamps(key.CreatedAt) ||
		(key.ExpiresAt != nil && (!utcTimestamps(*key.ExpiresAt) || *key.ExpiresAt <= key.CreatedAt)) ||
		(withSecret && (!fuzzSecretPattern.MatchString(key.Secret) || key.MaskedSecret != "fmcp_"+random[:4]+"..."+random[len(random)-4:] ||
			key.Status != api.KeyStatusActive || key.RevokedAt != nil)) {
		e.t.Fatalf("API key breaks API.md: %s", raw)
	}
	for _, stored := range e.srv.Store().Snapshot().APIKeys {
		if stored.ID != key.ID {
			continue
		}
		shown := toAPIKeyJSON(stored, ServiceAccountKeys(saID), e.clock.Now())
		shown.Secret = key.Secret
		if withSecret && stored.SecretHash != sha256.Sum256([]byte(key.Secret)) {
			e.t.Fatalf("the stored hash is not the SHA-256 of the secret returned")
		}
		if got, _ := json.Marshal(shown); !bytes.Equal(got, bytes.TrimSpace(raw)) {
			e.t.Fatalf("response %s, store %s", raw, got)
		}
		if withSecret {
			e.secrets = append(e.secrets, key.Secret)
		}
		return key
	}
	e.t.Fatalf("API key %s is not in the store", key.ID)
	return key
}

// checkConsistent checks the rules that span objects: unique names and
// slugs, at most two active keys per account, grants only of existing
// accounts on existing servers.
func (e *fuzzEnv) checkConsistent() {
	e.t.Helper()
	snap := e.srv.Store().Snapshot()
	names := map[string]bool{}
	accounts := map[string]bool{}
	for _, sa := range snap.ServiceAccounts {
		if names[sa.Name] {
			e.t.Fatalf("two service accounts are named %q", sa.Name)
		}
		names[sa.Name], accounts[sa.ID] = true, true
	}
	active := map[string]int{}
	for _, k := range snap.APIKeys {
		if k.Status(e.clock.Now()) == api.KeyStatusActive {
			active[k.OwnerID]++
		}
	}
	for owner, n := range active {
		if accounts[owner] && n > api.MaxActiveKeysPerServiceAccount {
			e.t.Fatalf("service account %s has %d active keys", owner, n)
		}
		if !accounts[owner] && owner != e.ownerID(snap) {
			e.t.Fatalf("%d active keys belong to %s, which is no account", n, owner)
		}
	}
	serverNames, slugs, servers := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, srv := range snap.MCPServers {
		if serverNames[srv.Name] || slugs[srv.Slug] {
			e.t.Fatalf("server name %q or slug %q is used twice", srv.Name, srv.Slug)
		}
		serverNames[srv.Name], slugs[srv.Slug], servers[srv.ID] = true, true, true
	}
	grants := map[[2]string]bool{}
	for _, g := range snap.ServerGrants {
		pair := [2]string{g.ServiceAccountID, g.ServerID}
		if grants[pair] || !accounts[g.ServiceAccountID] || !servers[g.ServerID] || g.Capabilities == 0 || g.Capabilities&^AllCapabilities != 0 {
			e.t.Fatalf("inconsistent grant %+v", g)
		}
		grants[pair] = true
	}
}

func (e *fuzzEnv) ownerID(snap Snapshot) string {
	if len(snap.Users) != 1 {
		e.t.Fatalf("%d users, want the seeded owner", len(snap.Users))
	}
	return snap.Users[0].ID
}

// fuzzPath replaces the placeholders of a fuzzed path segment with the ids
// that the fuzzer cannot know: "" means the first target.
func fuzzPath(segment string, ids map[string]string, first string) string {
	if segment == "" {
		return ids[first]
	}
	for placeholder, id := range ids {
		segment = strings.ReplaceAll(segment, placeholder, id)
	}
	return segment
}

// hostileBodies are seeds that every body-taking target shares. Seeds stay
// short: the fuzzer minimizes every new interesting input in quadratic time,
// so a long one stalls it. The long boundaries live in TestLengthLimits.
// Regressions, each once a 400 naming a field for a body that is no JSON
// object: `null` (read as {}), `{"name":"x"} {}` and `{"name":"x"}x` (an
// unknown field reported before the trailing data), "\xc2\x85" (U+0085,
// trimmed as if it were JSON whitespace, so the body counted as empty).
var hostileBodies = []string{
	``, ` `, "\t\r\n", `{}`, `null`, `true`, `"text"`, `12`, `[]`, `[{}]`, `{`, `}`, `{"`, `{"name":`, `{name}`,
	`{"name":null}`, `{"name":{"a":1}}`, `{"name":[1,2]}`, `{"name":"\ud800"}`, "{\"name\":\"\xff\xfe\"}",
	`{"name":"x","name":"y"}`, `{"NAME":"x"}`, `{"name":"x"} {}`, `{"name":"x"}x`, `{"name":1e400}`, "\x00", "\xc2\x85",
	"\xc2\xa0{}", "\v{}", `{"a":1}`, `{"":1}`, `{"\u0000":1}`, "{\"\xff\":1}", `[[[[[[[[`, `{"a":{"a":{"a":{"a":{}}}}}`,
}

func addBodySeeds(f *testing.F, bodies []string, second ...string) {
	for _, body := range append(slices.Clone(hostileBodies), bodies...) {
		for _, s := range append([]string{""}, second...) {
			f.Add([]byte(body), s)
		}
	}
}

func FuzzServiceAccountCreate(f *testing.F) {
	addBodySeeds(f, []string{
		`{"name":"ci"}`, `{"name":"ci-deployer","description":"deploys","role":"admin","create_key":true}`,
		`{"name":"a","role":"viewer"}`, `{"name":"a","role":"owner"}`, `{"name":"a","role":"root"}`, `{"name":"a","role":""}`,
		`{"name":"-a"}`, `{"name":"a b"}`, `{"name":"` + strings.Repeat("a", 64) + `"}`, `{"name":"` + strings.Repeat("a", 65) + `"}`,
		`{"name":"a","description":"ünïcode \u2028 \ud83d\ude00"}`,
		`{"name":"a","create_key":"yes"}`, `{"name":"a","create_key":null}`, `{"name":"a","id":"sa_x"}`, `{"name":"a","nmae":"b"}`,
	}, "idem-1", "clé", "a\nb", " ")
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, idempotencyKey string) {
		e.reset(t)
		before := e.snapshot()
		reply := e.serve(http.MethodPost, saCollection, body, idempotencyKey)
		switch reply.status {
		case http.StatusCreated:
			wantKeys(t, reply.body, serviceAccountKeys, "api_key")
			var created api.CreatedServiceAccount
			decodeStrict(t, reply.body, &created)
			e.checkServiceAccount(created.ServiceAccount)
			keys := 0
			if created.APIKey != nil {
				var raw struct {
					APIKey json.RawMessage `json:"api_key"`
				}
				_ = json.Unmarshal(reply.body, &raw)
				e.checkAPIKey(raw.APIKey, created.ID, true)
				keys = 1
			}
			if got := len(e.srv.Store().Snapshot().ServiceAccounts); got != 1 || len(e.activeKeys(created.ID)) != keys {
				t.Fatalf("%d accounts, %d keys after one create", got, len(e.activeKeys(created.ID)))
			}
			if validIdempotencyKey(idempotencyKey) {
				stored := e.snapshot()
				replay := e.serve(http.MethodPost, saCollection, body, idempotencyKey)
				if replay.status != http.StatusCreated || !bytes.Equal(replay.body, reply.body) || replay.header.Get("Idempotent-Replayed") != "true" {
					t.Fatalf("replay: status %d, body %s; want the original %s", replay.status, replay.body, reply.body)
				}
				e.wantUnchanged(stored, replay)
			}
		case http.StatusBadRequest:
			e.checkInvalid(reply, body, idempotencyKey, "name", "description", "role", "create_key")
			e.wantUnchanged(before, reply)
		case http.StatusRequestEntityTooLarge:
			if len(body) <= maxBodyBytes {
				t.Fatalf("413 for a body of %d bytes", len(body))
			}
			e.wantUnchanged(before, reply)
		default:
			t.Fatalf("unexpected status %d: %s", reply.status, reply.body)
		}
		e.checkConsistent()
	})
}

func FuzzServiceAccountUpdate(f *testing.F) {
	addBodySeeds(f, []string{
		`{"name":"renamed"}`, `{"name":"other"}`, `{"name":"target"}`, `{"name":""}`, `{"role":""}`, `{"role":"admin","disabled":true}`,
		`{"role":"owner"}`, `{"description":null}`, `{"description":"d\u0000"}`, `{"disabled":"yes"}`,
		`{"name":"x","description":"","role":"viewer","disabled":false}`, `{"id":"sa_x"}`,
	}, "{sa}", "{other}", "sa_aaaaaaaaaaaaaaaa", "{sa}x", "{sa}/api-keys", "..", ".", "%2e%2e", "{sa}/", "a b", "fmcp_pasted-key")
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, segment string) {
		e.reset(t)
		target, other := e.addServiceAccount("target", "d"), e.addServiceAccount("other", "")
		e.clock.Advance(30 * time.Second) // within last_used_at's granularity: reads change nothing
		path := saCollection + "/" + fuzzPath(segment, map[string]string{"{sa}": target.ID, "{other}": other.ID}, "{sa}")
		before := e.snapshot()
		reply := e.serve(http.MethodPatch, path, body, "")
		switch reply.status {
		case http.StatusOK:
			wantKeys(t, reply.body, serviceAccountKeys)
			var got api.ServiceAccount
			decodeStrict(t, reply.body, &got)
			e.checkServiceAccount(got)
			original := target
			if got.ID == other.ID {
				original = other
			}
			if got.ID != original.ID || got.CreatedAt != original.CreatedAt {
				t.Fatalf("PATCH %s answered for %s", path, got.ID)
			}
			changed := !reflect.DeepEqual(e.snapshot(), before)
			if moved := got.UpdatedAt != original.UpdatedAt; moved != changed || (changed && got.UpdatedAt != formatTime(e.clock.Now())) {
				t.Fatalf("updated_at %s (was %s) while the store changed = %v", got.UpdatedAt, original.UpdatedAt, changed)
			}
		case http.StatusBadRequest:
			e.checkInvalid(reply, body, "", "name", "description", "role", "disabled")
			e.wantUnchanged(before, reply)
		default:
			// 3xx (a path the router cleans), 404, 405, 409 name_conflict, 413.
			e.wantUnchanged(before, reply)
		}
		e.checkConsistent()
	})
}

func FuzzAPIKeyCreate(f *testing.F) {
	addBodySeeds(f, []string{
		`{"name":"primary"}`, `{"name":"with space and ünïcode"}`, `{"name":"a\u0001"}`, `{"name":"` + strings.Repeat("k", 128) + `"}`,
		`{"name":"` + strings.Repeat("k", 129) + `"}`, `{"name":"k","expires_at":"2031-01-01T00:00:00Z"}`,
		`{"name":"k","expires_at":"2030-01-02T15:04:06+01:00"}`, `{"name":"k","expires_at":"2030-01-02T15:04:05Z"}`,
		`{"name":"k","expires_at":"2031-01-01T00:00:00.5Z"}`, `{"name":"k","expires_at":"9999-12-31T23:59:59Z"}`,
		`{"name":"k","expires_at":"tomorrow"}`, `{"name":"k","expires_at":5}`, `{"name":"k","expires_at":null}`,
		`{"name":"k","ttl_seconds":60}`, `{"name":"k","ttl_seconds":59}`, `{"name":"k","ttl_seconds":315360000}`,
		`{"name":"k","ttl_seconds":315360001}`, `{"name":"k","ttl_seconds":60.5}`, `{"name":"k","ttl_seconds":"3600"}`,
		`{"name":"k","ttl_seconds":9223372036854775807}`, `{"name":"k","ttl_seconds":-9223372036854775808}`,
		`{"name":"k","ttl_seconds":3600,"expires_at":"2031-01-01T00:00:00Z"}`, `{"name":"k","secret":"fmcp_chosen"}`,
	}, "create-primary", "\x7f")
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, idempotencyKey string) {
		e.reset(t)
		sa := e.addServiceAccount("ci", "")
		path := saPath(sa.ID, "/api-keys")

		// Three creates: with the Idempotency-Key (and its replay), then two
		// without. At most two may succeed, and then the third hits the limit.
		created := 0
		for attempt := range 3 {
			key := ""
			if attempt == 0 {
				key = idempotencyKey
			}
			before := e.snapshot()
			reply := e.serve(http.MethodPost, path, body, key)
			switch reply.status {
			case http.StatusCreated:
				e.checkAPIKey(reply.body, sa.ID, true)
				created++
				if validIdempotencyKey(key) {
					stored := e.snapshot()
					replay := e.serve(http.MethodPost, path, body, key)
					if replay.status != http.StatusCreated || !bytes.Equal(replay.body, reply.body) || replay.header.Get("Idempotent-Replayed") != "true" {
						t.Fatalf("replay: status %d, body %s; want the original %s", replay.status, replay.body, reply.body)
					}
					e.wantUnchanged(stored, replay)
				}
			case http.StatusConflict:
				var refusal struct {
					Error struct {
						Code    string `json:"code"`
						Details struct {
							ServiceAccountID string          `json:"service_account_id"`
							Limit            int             `json:"limit"`
							ActiveKeys       []activeKeyJSON `json:"active_keys"`
						} `json:"details"`
					} `json:"error"`
				}
				if err := json.Unmarshal(reply.body, &refusal); err != nil || refusal.Error.Code != "key_limit_exceeded" ||
					refusal.Error.Details.ServiceAccountID != sa.ID || refusal.Error.Details.Limit != 2 || len(refusal.Error.Details.ActiveKeys) != 2 {
					t.Fatalf("409 is not key_limit_exceeded with the two active keys: %s", reply.body)
				}
				if created != api.MaxActiveKeysPerServiceAccount {
					t.Fatalf("key_limit_exceeded after %d creates", created)
				}
				e.wantUnchanged(before, reply)
			case http.StatusBadRequest:
				e.checkInvalid(reply, body, key, "name", "expires_at", "ttl_seconds")
				e.wantUnchanged(before, reply)
			case http.StatusRequestEntityTooLarge:
				e.wantUnchanged(before, reply)
			default:
				t.Fatalf("unexpected status %d: %s", reply.status, reply.body)
			}
			if n := len(e.activeKeys(sa.ID)); n != created {
				t.Fatalf("%d active keys after %d successful creates", n, created)
			}
			e.checkConsistent()
		}
	})
}

func FuzzAPIKeyUpdate(f *testing.F) {
	addBodySeeds(f, []string{
		`{"name":"renamed"}`, `{"name":"primary"}`, `{"name":""}`, `{"name":" "}`, `{"name":"tab\there"}`, `{"name":"` + strings.Repeat("k", 128) + `"}`,
		`{"name":"` + strings.Repeat("k", 129) + `"}`, `{"name":"` + strings.Repeat("é", 128) + `"}`, `{"expires_at":"2031-01-01T00:00:00Z"}`,
		`{"status":"active"}`,
	}, "{key}", "{revoked}", "key_aaaaaaaaaaaaaaaa", "{key}x", "{key}/..", "{other}")
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, segment string) {
		e.reset(t)
		sa, otherSA := e.addServiceAccount("ci", ""), e.addServiceAccount("other", "")
		key, revoked, otherKey := e.addKey(sa.ID, "primary"), e.addKey(sa.ID, "old"), e.addKey(otherSA.ID, "theirs")
		if _, _, err := e.srv.Store().RevokeAPIKey(e.srv.OrganizationID(), ServiceAccountKeys(sa.ID), revoked.ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		path := saPath(sa.ID, "/api-keys/", fuzzPath(segment, map[string]string{"{key}": key.ID, "{revoked}": revoked.ID, "{other}": otherKey.ID}, "{key}"))
		before := e.snapshot()
		reply := e.serve(http.MethodPatch, path, body, "")
		switch reply.status {
		case http.StatusOK:
			got := e.checkAPIKey(reply.body, sa.ID, false)
			if got.ID != key.ID && got.ID != revoked.ID {
				t.Fatalf("PATCH %s answered for key %s", path, got.ID)
			}
		case http.StatusBadRequest:
			e.checkInvalid(reply, body, "", "name")
			e.wantUnchanged(before, reply)
		default:
			e.wantUnchanged(before, reply)
		}
		e.checkConsistent()
	})
}

func FuzzServerGrantPut(f *testing.F) {
	addBodySeeds(f, []string{
		`{"role":"user"}`, `{"role":"viewer","capabilities":["tools"]}`, `{"role":"admin","capabilities":["prompts","tools"]}`,
		`{"role":"user","capabilities":["tools","resources","prompts"]}`, `{"role":"user","capabilities":["tools","resources","prompts","tools"]}`,
		`{"role":"user","capabilities":[]}`, `{"role":"user","capabilities":null}`, `{"role":"user","capabilities":["tools","tools"]}`,
		`{"role":"user","capabilities":["files"]}`, `{"role":"user","capabilities":[null]}`, `{"role":"user","capabilities":[[]]}`,
		`{"role":"user","capabilities":{}}`, `{"role":"user","capabilities":"tools"}`, `{"role":"none"}`, `{"role":""}`, `{}`,
		`{"role":"USER"}`, `{"role":"user","capabilities":["\ud800"]}`,
	}, "{weather}", "{search}", "srv_aaaaaaaaaaaaaaaa", "{weather}x", "{weather}/..", "weather")
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, segment string) {
		e.reset(t)
		sa := e.addServiceAccount("ci", "")
		ids := map[string]string{}
		for _, srv := range e.srv.Store().Snapshot().MCPServers {
			ids["{"+srv.Slug+"}"] = srv.ID
		}
		path := saPath(sa.ID, "/server-grants/", fuzzPath(segment, ids, "{weather}"))
		var first []byte
		for attempt := range 2 {
			before := e.snapshot()
			reply := e.serve(http.MethodPut, path, body, "")
			switch reply.status {
			case http.StatusCreated, http.StatusOK:
				if (reply.status == http.StatusCreated) != (attempt == 0) {
					t.Fatalf("attempt %d: status %d; want 201 only for the PUT that creates", attempt, reply.status)
				}
				wantKeys(t, reply.body, serverGrantKeys)
				var g api.ServerGrant
				decodeStrict(t, reply.body, &g)
				var caps CapabilitySet
				for _, c := range g.Capabilities {
					caps |= Capability(c).bit()
				}
				if g.ServiceAccountID != sa.ID || !slices.Contains(slices.Collect(maps.Values(ids)), g.ServerID) || g.OrganizationID != e.srv.OrganizationID() ||
					!slices.Contains(grantRoles, AccessRole(g.Role)) || len(g.Capabilities) == 0 || !slices.Equal(caps.List(), g.Capabilities) ||
					!utcTimestamps(g.CreatedAt, g.UpdatedAt) {
					t.Fatalf("grant breaks API.md: %s", reply.body)
				}
				stored, err := e.srv.Store().GetServerGrant(e.srv.OrganizationID(), sa.ID, g.ServerID)
				if err != nil || !slices.Equal(toServerGrantJSON(stored).Capabilities, g.Capabilities) || string(stored.Role) != g.Role {
					t.Fatalf("response %s, store %+v (%v)", reply.body, stored, err)
				}
				if attempt == 1 {
					// The same PUT again changes nothing.
					if !bytes.Equal(reply.body, first) {
						t.Fatalf("repeated PUT answered %s, first %s", reply.body, first)
					}
					e.wantUnchanged(before, reply)
				}
				first = reply.body
			case http.StatusBadRequest:
				e.checkInvalid(reply, body, "", "role", "capabilities")
				e.wantUnchanged(before, reply)
			default:
				e.wantUnchanged(before, reply)
			}
			e.checkConsistent()
		}
	})
}

func FuzzServerCreate(f *testing.F) {
	addBodySeeds(f, []string{
		`{"name":"Billing","slug":"billing"}`, `{"name":"Billing","slug":"billing","description":"money"}`,
		`{"name":"Weather","slug":"weather-2"}`, `{"name":"Weather 2","slug":"weather"}`, `{"name":"X","slug":"Bad"}`,
		`{"name":"X","slug":"x-"}`, `{"name":"X","slug":"-x"}`, `{"name":"X","slug":"` + strings.Repeat("s", 63) + `"}`,
		`{"name":"X","slug":"` + strings.Repeat("s", 64) + `"}`, `{"name":"` + strings.Repeat("n", 64) + `","slug":"x"}`,
		`{"name":"` + strings.Repeat("n", 65) + `","slug":"x"}`, `{"name":"","slug":"x"}`, `{"slug":"x"}`, `{"name":"X"}`,
		`{"name":"a\u0000","slug":"x"}`, `{"name":"X","slug":"x","url":"http://evil"}`,
	}, "create-billing", "\x00")
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, idempotencyKey string) {
		e.reset(t)
		before := e.snapshot()
		reply := e.serve(http.MethodPost, serverCollection, body, idempotencyKey)
		switch reply.status {
		case http.StatusCreated:
			wantKeys(t, reply.body, serverKeys)
			var srv api.Server
			decodeStrict(t, reply.body, &srv)
			if !strings.HasPrefix(srv.ID, "srv_") || !fuzzIDPattern.MatchString(srv.ID) || srv.OrganizationID != e.srv.OrganizationID() ||
				!printable(srv.Name, 64) || !fuzzSlugPattern.MatchString(srv.Slug) || srv.URL != fuzzBaseURL+"/mcp/"+srv.ID ||
				utf8.RuneCountInString(srv.Description) > 1024 || !utcTimestamps(srv.CreatedAt) {
				t.Fatalf("server breaks API.md: %s", reply.body)
			}
			stored, err := e.srv.Store().GetMCPServer(e.srv.OrganizationID(), srv.ID)
			if err != nil || e.srv.toServerJSON(stored) != srv || len(e.srv.Store().Snapshot().MCPServers) != 4 {
				t.Fatalf("response %+v, store %+v (%v)", srv, stored, err)
			}
			if validIdempotencyKey(idempotencyKey) {
				stored := e.snapshot()
				replay := e.serve(http.MethodPost, serverCollection, body, idempotencyKey)
				if replay.status != http.StatusCreated || !bytes.Equal(replay.body, reply.body) {
					t.Fatalf("replay: status %d, body %s; want the original %s", replay.status, replay.body, reply.body)
				}
				e.wantUnchanged(stored, replay)
			}
		case http.StatusBadRequest:
			e.checkInvalid(reply, body, idempotencyKey, "name", "slug", "description")
			e.wantUnchanged(before, reply)
		case http.StatusConflict:
			var refusal errorResponse
			if err := json.Unmarshal(reply.body, &refusal); err != nil || refusal.Error.Code != "name_conflict" ||
				(refusal.Error.Details["field"] != "name" && refusal.Error.Details["field"] != "slug") {
				t.Fatalf("409 is not a name_conflict naming name or slug: %s", reply.body)
			}
			e.wantUnchanged(before, reply)
		case http.StatusRequestEntityTooLarge:
			e.wantUnchanged(before, reply)
		default:
			t.Fatalf("unexpected status %d: %s", reply.status, reply.body)
		}
		e.checkConsistent()
	})
}

// FuzzIdempotencyKeyHeader sends arbitrary Idempotency-Key values with a
// valid create: a valid key replays, an invalid one is a 400 naming the
// header, and neither is ever a server fault.
func FuzzIdempotencyKeyHeader(f *testing.F) {
	for _, key := range []string{
		"", "k", "create-ci", " ", "  padded  ", "~!@#$%^&*()_+`-=[]{}|;':\",./<>?",
		"clé", "\x00", "\x7f", "a\r\nInjected: header", "\xff\xfe", "fmcp_looks-like-a-key", "\t",
	} {
		f.Add(key)
	}
	e := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, key string) {
		e.reset(t)
		body := []byte(`{"name":"ci","create_key":true}`)
		reply := e.serve(http.MethodPost, saCollection, body, key)
		if !validIdempotencyKey(key) && key != "" {
			if reply.status != http.StatusBadRequest {
				t.Fatalf("Idempotency-Key %q: status %d, want 400", key, reply.status)
			}
			e.checkInvalid(reply, body, key)
			if n := len(e.srv.Store().Snapshot().ServiceAccounts); n != 0 {
				t.Fatalf("a refused request created %d service accounts", n)
			}
			return
		}
		if reply.status != http.StatusCreated {
			t.Fatalf("Idempotency-Key %q: status %d, want 201: %s", key, reply.status, reply.body)
		}
		var created api.CreatedServiceAccount
		decodeStrict(t, reply.body, &created)
		e.secrets = append(e.secrets, created.APIKey.Secret)
		again := e.serve(http.MethodPost, saCollection, body, key)
		if key == "" {
			if again.status != http.StatusConflict {
				t.Fatalf("a repeat without Idempotency-Key: status %d, want 409 name_conflict", again.status)
			}
			return
		}
		if again.status != http.StatusCreated || !bytes.Equal(again.body, reply.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: status %d, body %s; want the original %s", again.status, again.body, reply.body)
		}
		if strings.Contains(dumpJSON(e.snapshot()), created.APIKey.Secret) {
			t.Fatal("the store holds the created secret in plaintext")
		}
	})
}

// FuzzMCP sends arbitrary bodies to an MCP endpoint as a member with a user
// grant that allows tools and resources (not prompts). No body bypasses the
// capability check: a prompts method never gets a result. Every 200 is a
// JSON-RPC 2.0 response to the request's id, a 202 without a body answers a
// notification or a response, and anything else is a refusal (4xx), never a
// server fault.
func FuzzMCP(f *testing.F) {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":"a","method":"ping"}`, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"a":1e400,"b":"\ud800"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":" {} "}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":"x"}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"rm"}}`, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"echo"}`, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":null}`,
		`{"jsonrpc":"2.0","id":4,"method":"resources/list"}`, `{"jsonrpc":"2.0","id":5,"method":"prompts/list"}`,
		`{"jsonrpc":"2.0","id":6,"method":"resources/read"}`, `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":[1]}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`, `{"jsonrpc":"2.0","method":"prompts/list"}`,
		`{"jsonrpc":"2.0","id":null,"method":"ping"}`, `{"jsonrpc":"2.0","id":{},"method":"ping"}`, `{"jsonrpc":"2.0","id":[],"method":"ping"}`,
		`{"jsonrpc":"2.0","id":1.5e3,"method":"ping"}`, `{"jsonrpc":"2.0","id":1e400,"method":"ping"}`, `{"jsonrpc":"2.0","id":-0,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":"\ud800","method":"ping"}`, "{\"jsonrpc\":\"2.0\",\"id\":\"\xff\",\"method\":\"ping\"}",
		`{"jsonrpc":"1.0","id":1,"method":"ping"}`, `{"jsonrpc":2,"id":1,"method":"ping"}`, `{"id":1,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":1,"method":""}`, `{"jsonrpc":"2.0","id":1,"method":5}`, `{"jsonrpc":"2.0","id":1}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"}`, `{"jsonrpc":"2.0","id":1,"method":"ping"} {}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, `[]`, `null`, `true`, `12`, `"ping"`, ``, "\x00", "\xc2\x85", "\v{}",
		`[[[[[[[[`, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"a":{"b":[[[]]]}}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"prompts/list","Method":"ping"}`, `{"jsonrpc":"2.0","id":1,"Method":"prompts/list","method":"ping"}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","method":"prompts/list"}`, `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"summarize","arguments":{"text":"x"}}}`,
	} {
		f.Add([]byte(body))
	}
	e := newFuzzEnv(f)
	var sa api.ServiceAccount
	var key api.Key
	e.mustServe(http.MethodPost, saCollection, `{"name":"caller","role":"member"}`, &sa)
	e.mustServe(http.MethodPost, saPath(sa.ID, "/api-keys"), `{"name":"k"}`, &key)
	e.secrets = append(e.secrets, key.Secret)
	var weather string
	for _, srv := range e.srv.Store().Snapshot().MCPServers {
		if srv.Slug == "weather" {
			weather = srv.ID
		}
	}
	e.mustServe(http.MethodPut, grantPath(sa.ID, weather), `{"role":"user","capabilities":["tools","resources"]}`, nil)
	path := mcpPathPrefix + weather

	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		reply := e.serveAs(key.Secret, http.MethodPost, path, body, "")
		msg := peekMessage(body)
		switch reply.status {
		case http.StatusAccepted:
			if len(reply.body) != 0 {
				t.Fatalf("202 with a body: %s", reply.body)
			}
			if msg.id.IsValid() {
				t.Fatalf("202 for a request, which needs a response: %s", body)
			}
			if strings.HasPrefix(msg.method, "prompts/") {
				t.Fatalf("a prompts notification was accepted without the prompts capability: %s", body)
			}
		case http.StatusOK:
			if ct := reply.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("200 with Content-Type %q", ct)
			}
			decoded, err := jsonrpc.DecodeMessage(reply.body)
			res, ok := decoded.(*jsonrpc.Response)
			if err != nil || !ok {
				t.Fatalf("200 that is no JSON-RPC response (%v): %s", err, reply.body)
			}
			if res.ID != msg.id {
				t.Fatalf("response id %v for request id %v: %s", res.ID.Raw(), msg.id.Raw(), reply.body)
			}
			// Told by the result's shape, not by decoding the request again:
			// prompts/list answers "prompts", prompts/get "messages".
			var result map[string]json.RawMessage
			if res.Error == nil && json.Unmarshal(res.Result, &result) == nil && (result["prompts"] != nil || result["messages"] != nil) {
				t.Fatalf("a prompts method ran without the prompts capability: %s", reply.body)
			}
		default:
			if reply.status < 400 {
				t.Fatalf("status %d: %s", reply.status, reply.body)
			}
		}
	})
}
