package server

import (
	"bytes"
	"cmp"
	"errors"
	"github.com/horizonhq/terraform-provider-horizon/internal/api"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/names"
)

// memoryStore is the in-memory Store. One RWMutex guards everything, which
// keeps multi-object rules trivially atomic.
type memoryStore struct {
	mu              sync.RWMutex
	orgs            map[string]Organization
	users           map[string]User
	serviceAccounts map[string]ServiceAccount
	// saIDByName indexes service accounts by nameKey (the folded name), so
	// the uniqueness check of a create or rename does not scan every account.
	saIDByName    map[string]string
	keys          map[string]APIKey
	keyIDByHash   map[[32]byte]string
	keyIDsByOwner map[string][]string
	servers       map[string]MCPServer
	// grants is keyed by service account id, then server id.
	grants      map[string]map[string]Grant
	idempotency map[string]IdempotencyRecord
}

func newMemoryStore() *memoryStore {
	return &memoryStore{
		orgs:            map[string]Organization{},
		users:           map[string]User{},
		serviceAccounts: map[string]ServiceAccount{},
		saIDByName:      map[string]string{},
		keys:            map[string]APIKey{},
		keyIDByHash:     map[[32]byte]string{},
		keyIDsByOwner:   map[string][]string{},
		servers:         map[string]MCPServer{},
		grants:          map[string]map[string]Grant{},
		idempotency:     map[string]IdempotencyRecord{},
	}
}

var errDuplicateSecret = errors.New("an API key with the same secret already exists")

func (m *memoryStore) CreateOrganization(org Organization) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orgs[org.ID] = org
	return nil
}

func (m *memoryStore) GetOrganization(id string) (Organization, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	org, ok := m.orgs[id]
	if !ok {
		return Organization{}, &NotFoundError{Resource: resourceOrganization}
	}
	return org, nil
}

func (m *memoryStore) UpdateOrganization(id string, patch OrganizationPatch) (Organization, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	org, ok := m.orgs[id]
	if !ok {
		return Organization{}, false, &NotFoundError{Resource: resourceOrganization}
	}
	if patch.DefaultServerRole == nil || *patch.DefaultServerRole == org.DefaultServerRole {
		return org, false, nil
	}
	org.DefaultServerRole = *patch.DefaultServerRole
	m.orgs[id] = org
	return org, true, nil
}

func (m *memoryStore) ListOrganizations() ([]Organization, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	list := slices.Collect(maps.Values(m.orgs))
	slices.SortFunc(list, func(a, b Organization) int { return byCreation(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return list, nil
}

func (m *memoryStore) CreateUser(user User, key APIKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orgs[user.OrganizationID]; !ok {
		return &NotFoundError{Resource: resourceOrganization}
	}
	if _, taken := m.keyIDByHash[key.SecretHash]; taken {
		return errDuplicateSecret
	}
	m.users[user.ID] = user
	m.insertKey(key)
	return nil
}

func (m *memoryStore) ListUsers(orgID string) ([]User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.orgs[orgID]; !ok {
		return nil, &NotFoundError{Resource: resourceOrganization}
	}
	list := []User{}
	for _, user := range m.users {
		if user.OrganizationID == orgID {
			list = append(list, user)
		}
	}
	slices.SortFunc(list, func(a, b User) int { return byCreation(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return list, nil
}

func (m *memoryStore) ResolveAPIKey(secretHash [32]byte) (APIKey, Actor, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	id, ok := m.keyIDByHash[secretHash]
	if !ok {
		return APIKey{}, Actor{}, &NotFoundError{Resource: resourceAPIKey}
	}
	key := m.keys[id]
	if user, ok := m.users[key.OwnerID]; ok {
		return key, Actor{ID: user.ID, Type: api.ActorUser, Name: user.Name, Role: user.Role, OrganizationID: user.OrganizationID}, nil
	}
	if sa, ok := m.serviceAccounts[key.OwnerID]; ok {
		return key, Actor{ID: sa.ID, Type: api.ActorServiceAccount, Name: sa.Name, Role: sa.Role, OrganizationID: sa.OrganizationID, Disabled: sa.Disabled}, nil
	}
	return APIKey{}, Actor{}, &NotFoundError{Resource: resourceServiceAccount}
}

func (m *memoryStore) MarkAPIKeyUsed(id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, ok := m.keys[id]
	if !ok {
		return &NotFoundError{Resource: resourceAPIKey}
	}
	if at.After(key.LastUsedAt) {
		key.LastUsedAt = at
		m.keys[id] = key
	}
	return nil
}

func (m *memoryStore) CreateServiceAccount(sa ServiceAccount, initialKey *APIKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orgs[sa.OrganizationID]; !ok {
		return &NotFoundError{Resource: resourceOrganization}
	}
	if err := m.serviceAccountNameConflict(sa.OrganizationID, sa.Name, ""); err != nil {
		return err
	}
	if initialKey != nil {
		if _, taken := m.keyIDByHash[initialKey.SecretHash]; taken {
			return errDuplicateSecret
		}
	}
	m.serviceAccounts[sa.ID] = sa
	m.saIDByName[nameKey(sa.OrganizationID, sa.Name)] = sa.ID
	if initialKey != nil {
		m.insertKey(*initialKey)
	}
	return nil
}

func (m *memoryStore) GetServiceAccount(orgID, id string) (ServiceAccount, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.serviceAccount(orgID, id)
}

func (m *memoryStore) ListServiceAccounts(orgID string) ([]ServiceAccount, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.orgs[orgID]; !ok {
		return nil, &NotFoundError{Resource: resourceOrganization}
	}
	list := []ServiceAccount{}
	for _, sa := range m.serviceAccounts {
		if sa.OrganizationID == orgID {
			list = append(list, sa)
		}
	}
	slices.SortFunc(list, func(a, b ServiceAccount) int { return byCreation(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return list, nil
}

func (m *memoryStore) UpdateServiceAccount(orgID, id string, patch ServiceAccountPatch, at time.Time) (ServiceAccount, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sa, err := m.serviceAccount(orgID, id)
	if err != nil {
		return ServiceAccount{}, false, err
	}
	updated := patch.apply(sa)
	if updated == sa {
		return sa, false, nil
	}
	if updated.Name != sa.Name {
		if err := m.serviceAccountNameConflict(orgID, updated.Name, id); err != nil {
			return ServiceAccount{}, false, err
		}
	}
	updated.UpdatedAt = at
	m.serviceAccounts[id] = updated
	delete(m.saIDByName, nameKey(orgID, sa.Name))
	m.saIDByName[nameKey(orgID, updated.Name)] = id
	return updated, true, nil
}

func (m *memoryStore) DeleteServiceAccount(orgID, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.serviceAccount(orgID, id); err != nil {
		return err
	}
	delete(m.saIDByName, nameKey(orgID, m.serviceAccounts[id].Name))
	delete(m.serviceAccounts, id)
	delete(m.grants, id)
	for _, keyID := range m.keyIDsByOwner[id] {
		key := m.keys[keyID]
		if key.RevokedAt.IsZero() {
			key.RevokedAt = at
			m.keys[keyID] = key
		}
	}
	return nil
}

func (m *memoryStore) CreateAPIKey(owner KeyOwner, key APIKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.keyOwner(key.OrganizationID, owner); err != nil {
		return err
	}
	if _, taken := m.keyIDByHash[key.SecretHash]; taken {
		return errDuplicateSecret
	}
	var active []APIKey
	for _, existing := range m.ownedKeys(owner.ID) {
		if existing.Status(key.CreatedAt) == api.KeyStatusActive {
			active = append(active, existing)
		}
	}
	if limit := owner.activeKeyLimit(); len(active) >= limit {
		return &KeyLimitError{Owner: owner, Limit: limit, Active: active}
	}
	m.insertKey(key)
	return nil
}

func (m *memoryStore) GetAPIKey(orgID string, owner KeyOwner, id string) (APIKey, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ownedKey(orgID, owner, id)
}

func (m *memoryStore) ListAPIKeys(orgID string, owner KeyOwner) ([]APIKey, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.keyOwner(orgID, owner); err != nil {
		return nil, err
	}
	return m.ownedKeys(owner.ID), nil
}

func (m *memoryStore) UpdateAPIKey(orgID string, owner KeyOwner, id string, patch APIKeyPatch) (APIKey, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, err := m.ownedKey(orgID, owner, id)
	if err != nil {
		return APIKey{}, false, err
	}
	updated, changed, err := patch.apply(key)
	if err != nil || !changed {
		return key, false, err
	}
	m.keys[id] = updated
	return updated, true, nil
}

func (m *memoryStore) RevokeAPIKey(orgID string, owner KeyOwner, id string, at time.Time) (APIKey, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, err := m.ownedKey(orgID, owner, id)
	if err != nil || !key.RevokedAt.IsZero() {
		return key, false, err
	}
	key.RevokedAt = at
	m.keys[id] = key
	return key, true, nil
}

func (m *memoryStore) CreateMCPServer(srv MCPServer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orgs[srv.OrganizationID]; !ok {
		return &NotFoundError{Resource: resourceOrganization}
	}
	if err := m.serverConflict(srv); err != nil {
		return err
	}
	m.servers[srv.ID] = srv
	return nil
}

func (m *memoryStore) UpdateMCPServer(orgID, id string, patch MCPServerPatch) (MCPServer, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	srv, err := m.server(orgID, id)
	if err != nil {
		return MCPServer{}, false, err
	}
	updated := patch.apply(srv)
	if updated == srv {
		return srv, false, nil
	}
	if err := m.serverConflict(updated); err != nil {
		return MCPServer{}, false, err
	}
	m.servers[id] = updated
	return updated, true, nil
}

func (m *memoryStore) DeleteMCPServer(orgID, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.server(orgID, id); err != nil {
		return err
	}
	delete(m.servers, id)
	for saID, byServer := range m.grants {
		delete(byServer, id)
		if len(byServer) == 0 {
			delete(m.grants, saID)
		}
	}
	return nil
}

func (m *memoryStore) GetMCPServer(orgID, id string) (MCPServer, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.server(orgID, id)
}

func (m *memoryStore) ListMCPServers(orgID string) ([]MCPServer, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.orgs[orgID]; !ok {
		return nil, &NotFoundError{Resource: resourceOrganization}
	}
	list := []MCPServer{}
	for _, srv := range m.servers {
		if srv.OrganizationID == orgID {
			list = append(list, srv)
		}
	}
	slices.SortFunc(list, func(a, b MCPServer) int { return byCreation(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return list, nil
}

func (m *memoryStore) PutServerGrant(grant Grant, at time.Time) (Grant, PutOutcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.serviceAccount(grant.OrganizationID, grant.ServiceAccountID); err != nil {
		return Grant{}, PutUnchanged, err
	}
	if _, err := m.server(grant.OrganizationID, grant.ServerID); err != nil {
		return Grant{}, PutUnchanged, err
	}
	byServer := m.grants[grant.ServiceAccountID]
	existing, ok := byServer[grant.ServerID]
	switch {
	case !ok:
		grant.CreatedAt, grant.UpdatedAt = at, at
		if byServer == nil {
			byServer = map[string]Grant{}
			m.grants[grant.ServiceAccountID] = byServer
		}
		byServer[grant.ServerID] = grant
		return grant, PutCreated, nil
	case existing.Role == grant.Role && existing.Capabilities == grant.Capabilities:
		return existing, PutUnchanged, nil
	default:
		existing.Role, existing.Capabilities, existing.UpdatedAt = grant.Role, grant.Capabilities, at
		byServer[grant.ServerID] = existing
		return existing, PutUpdated, nil
	}
}

func (m *memoryStore) CreateServerGrant(grant Grant, at time.Time) (Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.serviceAccount(grant.OrganizationID, grant.ServiceAccountID); err != nil {
		return Grant{}, err
	}
	if _, err := m.server(grant.OrganizationID, grant.ServerID); err != nil {
		return Grant{}, err
	}
	if _, exists := m.grants[grant.ServiceAccountID][grant.ServerID]; exists {
		return Grant{}, &GrantExistsError{ServiceAccountID: grant.ServiceAccountID, ServerID: grant.ServerID}
	}
	grant.CreatedAt, grant.UpdatedAt = at, at
	if m.grants[grant.ServiceAccountID] == nil {
		m.grants[grant.ServiceAccountID] = map[string]Grant{}
	}
	m.grants[grant.ServiceAccountID][grant.ServerID] = grant
	return grant, nil
}

func (m *memoryStore) GetServerGrant(orgID, serviceAccountID, serverID string) (Grant, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.serverGrant(orgID, serviceAccountID, serverID)
}

func (m *memoryStore) ListServerGrants(orgID, serviceAccountID string) ([]Grant, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, err := m.serviceAccount(orgID, serviceAccountID); err != nil {
		return nil, err
	}
	return sortedValues(m.grants[serviceAccountID]), nil
}

func (m *memoryStore) DeleteServerGrant(orgID, serviceAccountID, serverID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.serverGrant(orgID, serviceAccountID, serverID); err != nil {
		return err
	}
	delete(m.grants[serviceAccountID], serverID)
	if len(m.grants[serviceAccountID]) == 0 {
		delete(m.grants, serviceAccountID)
	}
	return nil
}

func (m *memoryStore) ServerGrantsOf(actorID string) (map[string]Grant, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return maps.Clone(m.grants[actorID]), nil
}

func (m *memoryStore) GetIdempotencyRecord(lookupID string) (IdempotencyRecord, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rec, ok := m.idempotency[lookupID]
	if !ok {
		return IdempotencyRecord{}, &NotFoundError{Resource: resourceIdempotencyRecord}
	}
	return rec, nil
}

func (m *memoryStore) PutIdempotencyRecord(rec IdempotencyRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.idempotency[rec.LookupID] = rec
	return nil
}

func (m *memoryStore) DeleteIdempotencyRecordsBefore(t time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	removed := 0
	for id, rec := range m.idempotency {
		if rec.CreatedAt.Before(t) {
			delete(m.idempotency, id)
			removed++
		}
	}
	return removed
}

// Atomically runs fn on the store itself: what it guards against is a
// crash, and a memory store keeps nothing across one.
func (m *memoryStore) Atomically(fn func(Store) error) error { return fn(m) }

func (m *memoryStore) Close() error { return nil }

func (m *memoryStore) Snapshot() Snapshot {
	m.mu.RLock()
	defer m.mu.RUnlock()
	snap := Snapshot{
		Organizations:   sortedValues(m.orgs),
		Users:           sortedValues(m.users),
		ServiceAccounts: sortedValues(m.serviceAccounts),
		APIKeys:         sortedValues(m.keys),
		MCPServers:      sortedValues(m.servers),
	}
	for _, saID := range slices.Sorted(maps.Keys(m.grants)) {
		snap.ServerGrants = append(snap.ServerGrants, sortedValues(m.grants[saID])...)
	}
	for _, rec := range sortedValues(m.idempotency) {
		rec.Nonce = bytes.Clone(rec.Nonce)
		rec.Ciphertext = bytes.Clone(rec.Ciphertext)
		snap.IdempotencyRecords = append(snap.IdempotencyRecords, rec)
	}
	return snap
}

// The helpers below expect m.mu to be held.

func (m *memoryStore) serviceAccount(orgID, id string) (ServiceAccount, error) {
	sa, ok := m.serviceAccounts[id]
	if !ok || sa.OrganizationID != orgID {
		return ServiceAccount{}, &NotFoundError{Resource: resourceServiceAccount}
	}
	return sa, nil
}

// keyOwner checks that owner exists in the organization.
func (m *memoryStore) keyOwner(orgID string, owner KeyOwner) error {
	if owner.Type == api.ActorUser {
		if user, ok := m.users[owner.ID]; !ok || user.OrganizationID != orgID {
			return &NotFoundError{Resource: resourceUser}
		}
		return nil
	}
	_, err := m.serviceAccount(orgID, owner.ID)
	return err
}

func (m *memoryStore) ownedKey(orgID string, owner KeyOwner, id string) (APIKey, error) {
	if err := m.keyOwner(orgID, owner); err != nil {
		return APIKey{}, err
	}
	key, ok := m.keys[id]
	if !ok || key.OwnerID != owner.ID {
		return APIKey{}, &NotFoundError{Resource: resourceAPIKey}
	}
	return key, nil
}

func (m *memoryStore) server(orgID, id string) (MCPServer, error) {
	srv, ok := m.servers[id]
	if !ok || srv.OrganizationID != orgID {
		return MCPServer{}, &NotFoundError{Resource: resourceServer}
	}
	return srv, nil
}

// serverConflict reports another server of srv's organization whose name
// looks like srv's (see names.Fold), or with srv's slug.
func (m *memoryStore) serverConflict(srv MCPServer) error {
	for _, other := range m.servers {
		if other.OrganizationID != srv.OrganizationID || other.ID == srv.ID {
			continue
		}
		if names.Fold(other.Name) == names.Fold(srv.Name) {
			return &ConflictError{Resource: resourceServer, Field: "name", Value: srv.Name, Existing: other.Name}
		}
		if other.Slug == srv.Slug {
			return &ConflictError{Resource: resourceServer, Field: "slug", Value: srv.Slug}
		}
	}
	return nil
}

func (m *memoryStore) serverGrant(orgID, serviceAccountID, serverID string) (Grant, error) {
	if _, err := m.serviceAccount(orgID, serviceAccountID); err != nil {
		return Grant{}, err
	}
	if _, err := m.server(orgID, serverID); err != nil {
		return Grant{}, err
	}
	grant, ok := m.grants[serviceAccountID][serverID]
	if !ok {
		return Grant{}, &NotFoundError{Resource: resourceServerGrant}
	}
	return grant, nil
}

// serviceAccountNameConflict reports another account of the organization
// whose name looks like name (see names.Fold).
func (m *memoryStore) serviceAccountNameConflict(orgID, name, exceptID string) error {
	id, ok := m.saIDByName[nameKey(orgID, name)]
	if !ok || id == exceptID {
		return nil
	}
	return &ConflictError{Resource: resourceServiceAccount, Field: "name", Value: name, Existing: m.serviceAccounts[id].Name}
}

func nameKey(orgID, name string) string { return orgID + "\x00" + names.Fold(name) }

func (m *memoryStore) ownedKeys(ownerID string) []APIKey {
	list := []APIKey{}
	for _, id := range m.keyIDsByOwner[ownerID] {
		list = append(list, m.keys[id])
	}
	slices.SortFunc(list, func(a, b APIKey) int { return byCreation(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return list
}

func (m *memoryStore) insertKey(key APIKey) {
	m.keys[key.ID] = key
	m.keyIDByHash[key.SecretHash] = key.ID
	m.keyIDsByOwner[key.OwnerID] = append(m.keyIDsByOwner[key.OwnerID], key.ID)
}

func byCreation(aCreated time.Time, aID string, bCreated time.Time, bID string) int {
	if c := aCreated.Compare(bCreated); c != 0 {
		return c
	}
	return cmp.Compare(aID, bID)
}

func sortedValues[V any](m map[string]V) []V {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	values := make([]V, 0, len(ids))
	for _, id := range ids {
		values = append(values, m[id])
	}
	return values
}
