package client

import "github.com/horizonhq/terraform-provider-horizon/internal/api"

// The API's objects and request bodies are package api's, defined once for
// the client and the reference server alike; the client names them here.
type (
	// Organization is a Horizon organization.
	Organization = api.Organization
	// Actor is the user or service account that owns the calling key.
	Actor = api.Actor
	// Me is the answer to GET /me.
	Me = api.Me
	// ServiceAccount is a non-human actor of an organization.
	ServiceAccount = api.ServiceAccount
	// APIKey is the metadata of an API key; its secret only in a create's answer.
	APIKey = api.Key
	// Server is an MCP server of an organization.
	Server = api.Server
	// ServerGrant gives a service account a role and capabilities on one server.
	ServerGrant = api.ServerGrant
	// UpdateOrganizationRequest is the body of an organization PATCH.
	UpdateOrganizationRequest = api.UpdateOrganizationRequest
	// CreateServiceAccountRequest is the body of a service account create.
	CreateServiceAccountRequest = api.CreateServiceAccountRequest
	// UpdateServiceAccountRequest is the body of a service account PATCH.
	UpdateServiceAccountRequest = api.UpdateServiceAccountRequest
	// CreateAPIKeyRequest is the body of a key create.
	CreateAPIKeyRequest = api.CreateAPIKeyRequest
	// UpdateAPIKeyRequest is the body of a key PATCH.
	UpdateAPIKeyRequest = api.UpdateAPIKeyRequest
	// CreateServerRequest is the body of a server create.
	CreateServerRequest = api.CreateServerRequest
	// UpdateServerRequest is the body of a server PATCH.
	UpdateServerRequest = api.UpdateServerRequest
	// PutServerGrantRequest is the body of a grant PUT.
	PutServerGrantRequest = api.PutServerGrantRequest
)
