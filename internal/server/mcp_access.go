package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// Horizon's own checks in front of the MCP SDK. They run on every request, so
// a key revoked, an account disabled or a grant narrowed applies to the very
// next message of a client, whatever it did before. In order:
//
//  1. Origin (protectOrigin): a browser's cross-origin request is a 403.
//  2. The body (413, 408, 400), read here so that every refusal below can
//     name the request it refuses; a member named twice is a 400.
//  3. Authentication (401, with WWW-Authenticate) and the rate limit (429),
//     as on the API.
//  4. Concealment: a server the caller may not discover is a 404, before any
//     check that could confirm that it exists.
//  5. The role (organization role member, server role user) and the
//     capability the method uses (tools/* needs tools, and so on). These
//     refuse a method, not the transport: a JSON-RPC error in a normal 200
//     response, whose message names what is missing. A batch is refused
//     (400): each message needs its own check, and both revisions the
//     endpoint speaks removed batching.
//
// Then the SDK runs the request against an MCP server built for the caller's
// current capabilities.

// protectOrigin refuses, before anything else, a request that a browser sent
// from another origin (Go's cross-origin protection: Sec-Fetch-Site, else
// Origin against Host). The SDK adds the other half of DNS-rebinding
// protection: on a loopback listener, a Host that is not loopback is a 403.
func (s *Server) protectOrigin(next http.Handler) http.Handler {
	protection := http.NewCrossOriginProtection()
	protection.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeMCPError(w, r, jsonrpc.ID{}, errCrossOrigin)
	}))
	return protection.Handler(next)
}

var errCrossOrigin = &apiError{
	status:  http.StatusForbidden,
	code:    "cross_origin",
	message: "cross-origin request refused: a browser sent it from another origin than this server (Sec-Fetch-Site or Origin)",
}

// errBatch refuses a JSON array of messages.
var errBatch = &apiError{
	status:  http.StatusBadRequest,
	code:    api.CodeInvalidRequest,
	message: "invalid request: batches are not supported (MCP 2025-06-18 removed them); send one JSON-RPC message per POST",
}

// mcpMessage is what the checks need of a request body.
type mcpMessage struct {
	// id is the request's id; not valid for a notification, a response or a
	// body that is no JSON-RPC message.
	id jsonrpc.ID
	// method is empty unless the body is a request or a notification.
	method string
}

// peekMessage reads the body with the SDK's own decoder, so that the method
// checked here is the method the SDK will run. A body it cannot decode has
// no method and needs no capability: the SDK refuses it in turn (400).
func peekMessage(body []byte) mcpMessage {
	msg, err := jsonrpc.DecodeMessage(body)
	if err != nil {
		return mcpMessage{}
	}
	if req, ok := msg.(*jsonrpc.Request); ok {
		return mcpMessage{id: req.ID, method: req.Method}
	}
	return mcpMessage{}
}

// refuseDuplicateMembers refuses a message that names a member twice, at any
// depth: {"method":"tools/list","method":"tools/call"} reads as one method
// to a proxy or an audit log that takes the first and as the other to the
// SDK, which takes the last. The message is still decoded by the SDK's own
// decoder (see peekMessage); this only makes sure that there is one way to
// read it. Any other fault of the body is left to the SDK, which refuses it.
func refuseDuplicateMembers(body []byte) error {
	err := json.Unmarshal(body, new(jsontext.Value), jsontext.AllowInvalidUTF8(true))
	var syntaxErr *jsontext.SyntacticError
	if !errors.As(err, &syntaxErr) || !errors.Is(syntaxErr.Err, jsontext.ErrDuplicateName) {
		return nil
	}
	return &apiError{
		status:  http.StatusBadRequest,
		code:    api.CodeInvalidRequest,
		message: fmt.Sprintf("invalid request: the member %s appears more than once; send each member once", syntaxErr.JSONPointer),
		details: map[string]any{"member": string(syntaxErr.JSONPointer)},
	}
}

// admitMCP runs checks 2 to 5 and hands the request, with its body and the
// caller's MCP server, to next.
func (s *Server) admitMCP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err == nil {
			err = refuseDuplicateMembers(body)
		}
		if err != nil {
			s.writeMCPError(w, r, jsonrpc.ID{}, err)
			return
		}
		msg := peekMessage(body)
		c, err := s.identify(w, r)
		if err == nil {
			err = s.resolveServer(c)
		}
		if err != nil {
			s.writeMCPError(w, r, msg.id, err)
			return
		}
		if err := authorizeMethod(c, msg, body); err != nil {
			s.refuseMethod(w, r, msg, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, withMCPServer(r, newMCPServer(c.server, c.access.capabilities)))
	})
}

// authorizeMethod checks the roles that calling a server takes and the
// capability that the message's method uses.
func authorizeMethod(c *call, msg mcpMessage, body []byte) error {
	if err := authorize(c.actor, actionCallServers); err != nil {
		return err
	}
	if err := authorizeServerCall(c.access); err != nil {
		return err
	}
	if b := trimJSONSpace(body); len(b) > 0 && b[0] == '[' {
		return errBatch
	}
	return authorizeCapability(c.access, msg.method)
}

// refuseMethod answers a request that may not run its method with a JSON-RPC
// error in a normal response, so that MCP clients report an MCP error instead
// of a broken transport. A notification, which gets no response, is refused
// at the HTTP level.
func (s *Server) refuseMethod(w http.ResponseWriter, r *http.Request, msg mcpMessage, err error) {
	if !msg.id.IsValid() {
		s.writeMCPError(w, r, msg.id, err)
		return
	}
	writeJSONBytes(w, http.StatusOK, rpcErrorBody(msg.id, toAPIError(err)))
}
