package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// MaxPageSize is the largest page Horizon serves.
const MaxPageSize = 1000

// pages iterates over the list at path, whose items are the JSON array field,
// asking for pageSize items per request and following next_page_token; with
// pageSize 0 one request returns the whole list. The requests stop when the
// caller stops iterating, and the first error ends the iteration.
func pages[T any](ctx context.Context, c *Client, path, field string, pageSize int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		query := url.Values{}
		if pageSize > 0 {
			query.Set("limit", strconv.Itoa(min(pageSize, MaxPageSize)))
		}
		for {
			var body map[string]json.RawMessage
			if err := c.doQuery(ctx, http.MethodGet, path, query, nil, &body); err != nil {
				yield(zero, err)
				return
			}
			var items []T
			var next string
			if raw, ok := body[field]; ok {
				if err := json.Unmarshal(raw, &items); err != nil {
					yield(zero, fmt.Errorf("GET %s: decoding %s: %w", path, field, err))
					return
				}
			}
			if raw, ok := body["next_page_token"]; ok {
				if err := json.Unmarshal(raw, &next); err != nil {
					yield(zero, fmt.Errorf("GET %s: decoding next_page_token: %w", path, err))
					return
				}
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			query.Set("page_token", next)
		}
	}
}

// collect reads a whole list; an empty one is an empty, non-nil slice.
func collect[T any](all iter.Seq2[T, error]) ([]T, error) {
	list := []T{}
	for item, err := range all {
		if err != nil {
			return nil, err
		}
		list = append(list, item)
	}
	return list, nil
}
