package client

import "github.com/horizonhq/terraform-provider-horizon/internal/api"

// The API's objects and request bodies, as package api defines them once for
// the client and the reference server alike.
type (
	Organization                = api.Organization
	Actor                       = api.Actor
	Me                          = api.Me
	ServiceAccount              = api.ServiceAccount
	APIKey                      = api.APIKey
	Server                      = api.Server
	ServerGrant                 = api.ServerGrant
	UpdateOrganizationRequest   = api.UpdateOrganizationRequest
	CreateServiceAccountRequest = api.CreateServiceAccountRequest
	UpdateServiceAccountRequest = api.UpdateServiceAccountRequest
	CreateAPIKeyRequest         = api.CreateAPIKeyRequest
	UpdateAPIKeyRequest         = api.UpdateAPIKeyRequest
	CreateServerRequest         = api.CreateServerRequest
	UpdateServerRequest         = api.UpdateServerRequest
	PutServerGrantRequest       = api.PutServerGrantRequest
)
