package server

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// maxPageLimit is the largest page a list request may ask for.
const maxPageLimit = 1000

// page is a list request's window: at most limit items (0: all of them)
// after the item whose sort key the page token carries. A token names a
// position, not an item, so deleting items between two requests neither
// repeats nor skips any of the others.
type page struct {
	limit int
	after string
}

// parsePage reads the optional limit and page_token query parameters. A
// request with neither gets the whole list, as before pagination existed.
func parsePage(r *http.Request) (page, error) {
	q := r.URL.Query()
	var p page
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			return page{}, invalidField("limit", "limit must be a whole number from 1 to %d", maxPageLimit)
		}
		p.limit = n
	}
	if v := q.Get("page_token"); v != "" {
		after, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(after) == 0 {
			return page{}, invalidField("page_token", "page_token must be the next_page_token of an earlier response of this list")
		}
		p.after = string(after)
	}
	return p, nil
}

// paginate returns the items of p from items, which are ordered by key, and
// the token of the next page ("" on the last page).
func paginate[T any](items []T, p page, key func(T) string) ([]T, string) {
	if p.after != "" {
		items = items[sort.Search(len(items), func(i int) bool { return key(items[i]) > p.after }):]
	}
	if p.limit == 0 || len(items) <= p.limit {
		return items, ""
	}
	return items[:p.limit], base64.RawURLEncoding.EncodeToString([]byte(key(items[p.limit-1])))
}

// creationKey sorts like the lists ordered by creation time, then id: the
// fixed-width time compares as the times do.
func creationKey(created time.Time, id string) string {
	return created.UTC().Format("20060102T150405.000000000Z") + "/" + id
}
