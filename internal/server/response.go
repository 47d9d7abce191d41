package server

import (
	"encoding/json"
	"net/http"
)

// apiResponse is a handler's answer: the status, the value to render as JSON
// (nil: no body) and whether the request committed a change. Only a
// committed change may lose its response to fault injection, so a no-op
// PATCH or PUT says so here.
type apiResponse struct {
	status  int
	body    any
	changed bool
}

// ok answers a request that changed nothing: a read, or a change that turned
// out to be a no-op.
func ok(body any) apiResponse { return apiResponse{status: http.StatusOK, body: body} }

// created answers a create.
func created(body any) apiResponse {
	return apiResponse{status: http.StatusCreated, body: body, changed: true}
}

// updated answers a change of an existing object, which may have been a
// no-op.
func updated(body any, changed bool) apiResponse {
	return apiResponse{status: http.StatusOK, body: body, changed: changed}
}

// deleted answers a delete, which has no body.
func deleted() apiResponse { return apiResponse{status: http.StatusNoContent, changed: true} }

// run calls the handler and encodes its body; a nil body encodes to nil.
func run(rt route, c *call) (apiResponse, []byte, error) {
	res, err := rt.handle(c)
	if err != nil {
		return apiResponse{}, nil, err
	}
	if res.body == nil {
		return res, nil, nil
	}
	body, err := json.Marshal(res.body)
	return res, body, err
}

// respond writes a success, unless fault injection decides that this
// committed change loses its response.
func (s *Server) respond(w http.ResponseWriter, res apiResponse, body []byte) {
	if res.changed && s.loseCommittedResponse(w, res.status) {
		return
	}
	writeJSONBytes(w, res.status, body)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	apiErr := toAPIError(err)
	// Only server faults are logged as errors: an injected 503 is what the
	// server was asked to do.
	if apiErr.status == http.StatusInternalServerError {
		s.logger.Error("request failed", "method", r.Method, "path", redactPath(r.URL.Path), "error", err)
	}
	for name, values := range apiErr.header {
		w.Header()[name] = values
	}
	details := apiErr.details
	if details == nil {
		details = map[string]any{}
	}
	body, marshalErr := json.Marshal(errorJSON{Error: errorDetailJSON{Code: apiErr.code, Message: apiErr.message, Details: details}})
	if marshalErr != nil {
		body = []byte(`{"error":{"code":"internal","message":"internal server error","details":{}}}`)
	}
	writeJSONBytes(w, apiErr.status, body)
}

func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// Responses may carry a secret; no cache may keep one.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n')) //nolint:gosec // G705: a JSON body with a JSON content type, not HTML
}
