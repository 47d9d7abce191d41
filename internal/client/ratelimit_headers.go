package client

import (
	"net/http"
	"time"

	"github.com/dunglas/httpsfv"
)

// The fields of the IETF httpapi draft "RateLimit header fields for HTTP"
// (draft-ietf-httpapi-ratelimit-headers), both Structured Field lists:
//
//	RateLimit-Policy: "organization";q=10;w=1   the quota q per window of w seconds
//	RateLimit: "organization";r=7;t=1           r left, within the next t seconds
const (
	headerRateLimitPolicy = "RateLimit-Policy"
	headerRateLimit       = "RateLimit"
)

// quotaPolicy is one item of RateLimit-Policy: quota requests per window.
type quotaPolicy struct {
	quota  int64
	window time.Duration
}

// perSecond is the policy's sustained rate.
func (p quotaPolicy) perSecond() float64 { return float64(p.quota) / p.window.Seconds() }

// serviceLimit is one item of RateLimit: remaining requests of the named
// policy within the next reset (zero when the item has no t).
type serviceLimit struct {
	remaining int64
	reset     time.Duration
}

// rateLimitFields is what one response says about the caller's quotas, by
// policy name. Either map may be empty: the draft lets servers send the
// policy only now and then, and the current limit only when it matters.
type rateLimitFields struct {
	policies map[string]quotaPolicy
	limits   map[string]serviceLimit
}

func (f rateLimitFields) present() bool { return len(f.policies) > 0 || len(f.limits) > 0 }

// parseRateLimitFields reads both fields. The draft says malformed fields
// must be ignored: a field that does not parse as a Structured Field list
// counts as absent, and so does an item that lacks a required parameter
// or has one of the wrong type. Policies in a unit other than requests, or
// without a window, say nothing about a request rate and are left out.
func parseRateLimitFields(h http.Header) rateLimitFields {
	f := rateLimitFields{policies: map[string]quotaPolicy{}, limits: map[string]serviceLimit{}}
	for name, params := range structuredItems(h.Values(headerRateLimitPolicy)) {
		q, okQ := nonNegativeInt(params, "q")
		w, okW := nonNegativeInt(params, "w")
		if !okQ || !okW || w == 0 {
			continue
		}
		if unit, ok := params.Get("qu"); ok && unit != "requests" {
			continue
		}
		f.policies[name] = quotaPolicy{quota: q, window: time.Duration(w) * time.Second}
	}
	for name, params := range structuredItems(h.Values(headerRateLimit)) {
		r, ok := nonNegativeInt(params, "r")
		if !ok {
			continue
		}
		limit := serviceLimit{remaining: r}
		if t, ok := nonNegativeInt(params, "t"); ok {
			limit.reset = time.Duration(t) * time.Second
		}
		f.limits[name] = limit
	}
	return f
}

// structuredItems parses a Structured Field list whose members are items
// named by a String, and returns each name's parameters.
func structuredItems(values []string) map[string]*httpsfv.Params {
	items := map[string]*httpsfv.Params{}
	if len(values) == 0 {
		return items
	}
	list, err := httpsfv.UnmarshalList(values)
	if err != nil {
		return items
	}
	for _, member := range list {
		item, ok := member.(httpsfv.Item)
		if !ok {
			continue
		}
		if name, ok := item.Value.(string); ok {
			items[name] = item.Params
		}
	}
	return items
}

func nonNegativeInt(params *httpsfv.Params, key string) (int64, bool) {
	v, ok := params.Get(key)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	return n, ok && n >= 0
}
