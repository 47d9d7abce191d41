package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// The MCP endpoint: JSON-RPC 2.0 over POST at each server's url, speaking
// enough of the Model Context Protocol (initialize, ping, tools, resources,
// prompts) for clients to exercise authentication, grants and capabilities.
// It shares identify, resolveServer and the permission rules with the API;
// only the rendering differs, because MCP clients expect JSON-RPC bodies.

// mcpPathPrefix is where the MCP endpoints live; a server's url is the
// prefix followed by its id.
const mcpPathPrefix = "/mcp/"

// mcpPattern is the MCP endpoint's route.
const mcpPattern = "POST " + mcpPathPrefix + "{server}"

// mcpProtocolVersion is the MCP revision the endpoint implements.
const mcpProtocolVersion = "2025-06-18"

// mcpServerVersion is what initialize reports as the server's version.
const mcpServerVersion = "0.1.0"

// The JSON-RPC 2.0 error codes of the specification.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
	rpcInternalError  = -32603
)

// rpcError is a JSON-RPC error object, with the HTTP status it travels with.
type rpcError struct {
	status  int
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data,omitempty"`
}

func (e *rpcError) Error() string { return e.Message }

// rpcProtocolError is a malformed message: the HTTP exchange itself fails
// (400), as MCP's HTTP transport asks for input the server cannot accept.
func rpcProtocolError(code int, message string) *rpcError {
	return &rpcError{status: http.StatusBadRequest, Code: code, Message: message}
}

// rpcCallError is a well-formed request that fails at the JSON-RPC level; the
// HTTP exchange succeeded, so it is a 200 that carries the error.
func rpcCallError(code int, message string) *rpcError {
	return &rpcError{status: http.StatusOK, Code: code, Message: message}
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// rpcMessage is a parsed request or notification.
type rpcMessage struct {
	// id is the canonical JSON of the request id; nil for a notification.
	id     json.RawMessage
	method string
	params json.RawMessage
}

// serveMCP handles one JSON-RPC message. Its checks run in the API's order
// (401, 429, 404, 403 for roles, 413), then the message is parsed (400), the
// capability checked (403) and the method run.
func (s *Server) serveMCP(w http.ResponseWriter, r *http.Request) {
	c, err := s.beginMCP(w, r)
	if err != nil {
		s.writeRPCError(w, r, nil, err)
		return
	}
	msg, err := parseRPCMessage(c.body)
	if err != nil {
		s.writeRPCError(w, r, msg.id, err)
		return
	}
	if msg.id == nil {
		// Notifications (initialized, cancelled, ...) need no answer, and
		// none of them changes anything here.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	result, err := dispatchMCP(c, msg)
	if err != nil {
		s.writeRPCError(w, r, msg.id, err)
		return
	}
	writeRPC(w, http.StatusOK, rpcResponse{JSONRPC: "2.0", ID: msg.id, Result: result})
}

// beginMCP runs the checks that need no message: the caller must be able to
// discover the server (else 404), hold an organization role that may call
// servers and a server role that may call this one (else 403).
func (s *Server) beginMCP(w http.ResponseWriter, r *http.Request) (*call, error) {
	c, err := s.identify(r)
	if err != nil {
		return nil, err
	}
	if err := s.resolveServer(c); err != nil {
		return nil, err
	}
	if err := authorize(c.actor, actionCallServers); err != nil {
		return nil, err
	}
	if err := authorizeServerCall(c.access); err != nil {
		return nil, err
	}
	if c.body, err = readBody(w, r); err != nil {
		return nil, err
	}
	return c, nil
}

// parseRPCMessage validates a JSON-RPC 2.0 request or notification. The
// returned message carries the id whenever one could be read, so that an
// error about the rest of the message can still name its request.
func parseRPCMessage(body []byte) (rpcMessage, error) {
	body = trimJSONSpace(body)
	if !json.Valid(body) {
		return rpcMessage{}, rpcProtocolError(rpcParseError, "parse error: the body is not valid JSON")
	}
	if body[0] == '[' {
		return rpcMessage{}, rpcProtocolError(rpcInvalidRequest, "invalid request: batches are not supported (MCP 2025-06-18 removed them); send one JSON-RPC message per POST")
	}
	var envelope struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  json.RawMessage `json:"method"`
		Params  json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil || body[0] != '{' {
		return rpcMessage{}, rpcProtocolError(rpcInvalidRequest, "invalid request: a JSON-RPC message must be a JSON object")
	}
	var msg rpcMessage
	if envelope.ID != nil {
		id, ok := canonicalID(envelope.ID)
		if !ok {
			return rpcMessage{}, rpcProtocolError(rpcInvalidRequest, "invalid request: id must be a string or a number (MCP does not allow null)")
		}
		msg.id = id
	}
	var version, method string
	if json.Unmarshal(envelope.JSONRPC, &version) != nil || version != "2.0" {
		return msg, rpcProtocolError(rpcInvalidRequest, `invalid request: jsonrpc must be "2.0"`)
	}
	if json.Unmarshal(envelope.Method, &method) != nil || method == "" {
		return msg, rpcProtocolError(rpcInvalidRequest, "invalid request: method must be a non-empty string")
	}
	msg.method, msg.params = method, envelope.Params
	return msg, nil
}

// canonicalID re-encodes a request id, so that the response echoes a clean
// string or number whatever bytes the client sent.
func canonicalID(raw json.RawMessage) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var id any
	if err := dec.Decode(&id); err != nil {
		return nil, false
	}
	switch id.(type) {
	case string, json.Number:
		encoded, err := json.Marshal(id)
		return encoded, err == nil
	default:
		return nil, false
	}
}

// mcpMethods are the methods the endpoint answers. Each gets the server and
// the request's params, which dispatchMCP has checked to be an object or
// absent.
var mcpMethods = map[string]func(srv MCPServer, params json.RawMessage) (any, error){
	"initialize":     mcpInitialize,
	"ping":           func(MCPServer, json.RawMessage) (any, error) { return struct{}{}, nil },
	"tools/list":     mcpToolsList,
	"tools/call":     mcpToolsCall,
	"resources/list": mcpResourcesList,
	"prompts/list":   mcpPromptsList,
}

func dispatchMCP(c *call, msg rpcMessage) (any, error) {
	if err := authorizeCapability(c.access, msg.method); err != nil {
		return nil, err
	}
	method, ok := mcpMethods[msg.method]
	if !ok {
		return nil, rpcCallError(rpcMethodNotFound, fmt.Sprintf("method not found: %q; this server supports %s",
			msg.method, strings.Join(slices.Sorted(maps.Keys(mcpMethods)), ", ")))
	}
	if p := trimJSONSpace(msg.params); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
		return nil, rpcCallError(rpcInvalidParams, "invalid params: params must be an object")
	}
	return method(c.server, msg.params)
}

func mcpInitialize(srv MCPServer, _ json.RawMessage) (any, error) {
	return map[string]any{
		"protocolVersion": mcpProtocolVersion,
		"capabilities":    map[string]any{"tools": struct{}{}, "resources": struct{}{}, "prompts": struct{}{}},
		"serverInfo":      map[string]any{"name": srv.Slug, "version": mcpServerVersion},
	}, nil
}

// echoTool is the one tool: it returns its arguments, so a client can see
// exactly what reached the server.
const echoTool = "echo"

func mcpToolsList(MCPServer, json.RawMessage) (any, error) {
	return map[string]any{"tools": []any{map[string]any{
		"name":        echoTool,
		"description": "Returns its arguments as JSON text.",
		"inputSchema": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"text": map[string]any{"type": "string", "description": "Text to echo."},
			},
		},
	}}}, nil
}

func mcpToolsCall(_ MCPServer, params json.RawMessage) (any, error) {
	var p struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if len(params) > 0 {
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, rpcCallError(rpcInvalidParams, `invalid params: tools/call takes {"name": string, "arguments": object}`)
		}
	}
	switch p.Name {
	case echoTool:
	case "":
		return nil, rpcCallError(rpcInvalidParams, "invalid params: name is required: the tool to call, such as echo")
	default:
		return nil, rpcCallError(rpcInvalidParams, fmt.Sprintf("invalid params: unknown tool %q; this server has one tool, echo", p.Name))
	}
	arguments := trimJSONSpace(p.Arguments)
	if len(arguments) == 0 || bytes.Equal(arguments, []byte("null")) {
		arguments = []byte("{}")
	}
	if arguments[0] != '{' {
		return nil, rpcCallError(rpcInvalidParams, "invalid params: arguments must be an object")
	}
	// Compacted, but otherwise as sent: key order and number spelling are
	// the client's own.
	var text bytes.Buffer
	if err := json.Compact(&text, arguments); err != nil {
		return nil, err
	}
	return map[string]any{"content": []any{map[string]any{"type": "text", "text": text.String()}}}, nil
}

func mcpResourcesList(srv MCPServer, _ json.RawMessage) (any, error) {
	return map[string]any{"resources": []any{map[string]any{
		"uri":         "horizon://" + srv.Slug + "/readme",
		"name":        "readme",
		"description": "What the " + srv.Name + " server offers.",
		"mimeType":    "text/markdown",
	}}}, nil
}

func mcpPromptsList(MCPServer, json.RawMessage) (any, error) {
	return map[string]any{"prompts": []any{map[string]any{
		"name":        "summarize",
		"description": "Summarize a text.",
		"arguments": []any{map[string]any{
			"name": "text", "description": "The text to summarize.", "required": true,
		}},
	}}}, nil
}

// writeRPCError renders err as a JSON-RPC error. Protocol and method errors
// are rpcErrors already; refusals (401, 403, 404, 413, 429) come from the
// API's error mapper, keep its status and headers, and get the code
// -32000 - (status - 400) with data that says why: the reason and the API's
// details (required_role, required_capability, resource, ...).
func (s *Server) writeRPCError(w http.ResponseWriter, r *http.Request, id json.RawMessage, err error) {
	var rpcErr *rpcError
	if !errors.As(err, &rpcErr) {
		apiErr := toAPIError(err)
		if apiErr.status == http.StatusInternalServerError {
			s.logger.Error("request failed", "method", r.Method, "path", redactPath(r.URL.Path), "error", err)
		}
		for name, values := range apiErr.header {
			w.Header()[name] = values
		}
		rpcErr = &rpcError{status: apiErr.status, Code: rpcRefusalCode(apiErr.status), Message: apiErr.message, Data: rpcErrorData(apiErr)}
	}
	writeRPC(w, rpcErr.status, rpcResponse{JSONRPC: "2.0", ID: id, Error: rpcErr})
}

func rpcRefusalCode(status int) int {
	if status >= http.StatusInternalServerError {
		return rpcInternalError
	}
	return -32000 - (status - 400)
}

func rpcErrorData(apiErr *apiError) map[string]any {
	reason := apiErr.reason
	if reason == "" {
		reason = apiErr.code
	}
	data := map[string]any{"reason": reason}
	for name, value := range apiErr.details {
		data[name] = value
	}
	return data
}

func writeRPC(w http.ResponseWriter, status int, resp rpcResponse) {
	body, err := json.Marshal(resp)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}`)
	}
	writeJSONBytes(w, status, body)
}
