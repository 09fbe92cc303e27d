package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/netsim"
)

// decoder turns the generic value tree the TOML library produced into
// typed values, strictly: every key must be known, every value of the
// right type and range. It keeps the first error and ignores everything
// after it (like bufio.Scanner), so the schema code reads as a list of
// fields rather than a ladder of error checks.
type decoder struct {
	file string
	pos  *positions
	err  *Error
}

func (d *decoder) fail(path, format string, args ...any) {
	if d.err == nil {
		d.err = &Error{File: d.file, Line: d.pos.line(path), Field: path, Msg: fmt.Sprintf(format, args...)}
	}
}

func (d *decoder) ok() bool { return d.err == nil }

// table is one TOML table being decoded; it remembers which keys the
// schema asked for, so that finish can reject the others.
type table struct {
	d    *decoder
	path string
	m    map[string]any
	used map[string]bool
}

func (d *decoder) root(m map[string]any) *table {
	return &table{d: d, m: m, used: map[string]bool{}}
}

func (t *table) field(key string) string { return joinPath(t.path, key) }

func (t *table) fail(key, format string, args ...any) { t.d.fail(t.field(key), format, args...) }

// get returns the raw value of key and marks it used.
func (t *table) get(key string) (any, bool) {
	t.used[key] = true
	if !t.d.ok() {
		return nil, false
	}
	v, ok := t.m[key]
	return v, ok
}

func (t *table) has(key string) bool {
	_, ok := t.m[key]
	return ok
}

// typeName names a decoded TOML value's type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

func (t *table) wrongType(key string, v any, want string) {
	t.fail(key, "is %s, want %s", typeName(v), want)
}

func (t *table) str(key string, dst *string) bool {
	s, ok := t.text(key, "a string")
	if ok {
		*dst = s
	}
	return ok
}

// text returns the string at key; want describes it for a type error.
func (t *table) text(key, want string) (string, bool) {
	v, ok := t.get(key)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		t.wrongType(key, v, want)
		return "", false
	}
	return s, true
}

func (t *table) boolean(key string, dst *bool) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	b, isBool := v.(bool)
	if !isBool {
		t.wrongType(key, v, "true or false")
		return
	}
	*dst = b
}

// integer reads an integer in [lo, hi].
func (t *table) integer(key string, lo, hi int64, dst *int64) bool {
	v, ok := t.get(key)
	if !ok {
		return false
	}
	n, isInt := v.(int64)
	if !isInt {
		t.wrongType(key, v, "an integer")
		return false
	}
	if n < lo || n > hi {
		t.fail(key, "%d is outside [%d, %d]", n, lo, hi)
		return false
	}
	*dst = n
	return true
}

func (t *table) intField(key string, lo, hi int64, dst *int) {
	var n int64
	if t.integer(key, lo, hi, &n) {
		*dst = int(n)
	}
}

func (t *table) duration(key string, dst *time.Duration) {
	t.durationSigned(key, false, dst)
}

func (t *table) durationSigned(key string, negative bool, dst *time.Duration) {
	s, ok := t.text(key, `a duration string such as "150ms"`)
	if !ok {
		return
	}
	d, err := parseDuration(s, negative)
	if err != nil {
		t.fail(key, "%v", err)
		return
	}
	*dst = d
}

// durationRange reads "lo..hi" or a single duration.
func (t *table) durationRange(key string, lo, hi *time.Duration) (single, ok bool) {
	s, ok := t.text(key, `a duration or range string such as "1ms..5ms"`)
	if !ok {
		return false, false
	}
	a, b, single, err := parseRange(s)
	if err != nil {
		t.fail(key, "%v", err)
		return false, false
	}
	*lo, *hi = a, b
	return single, true
}

func (t *table) ratio(key string, dst *netsim.Ratio) {
	s, ok := t.text(key, `a probability string such as "5%" or "1/20"`)
	if !ok {
		return
	}
	r, err := parseRatio(s)
	if err != nil {
		t.fail(key, "%v", err)
		return
	}
	*dst = r
}

// sub returns the table at key, or nil when it is absent.
func (t *table) sub(key string) *table {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	m, isTable := v.(map[string]any)
	if !isTable {
		t.wrongType(key, v, "a table")
		return nil
	}
	return &table{d: t.d, path: t.field(key), m: m, used: map[string]bool{}}
}

// tables returns the array of tables at key.
func (t *table) tables(key string) []*table {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	var ms []map[string]any
	switch v := v.(type) {
	case []map[string]any:
		ms = v
	case []any:
		// An array of inline tables: [{...}, {...}].
		for i, e := range v {
			m, isTable := e.(map[string]any)
			if !isTable {
				t.d.fail(indexPath(t.field(key), i), "is %s, want a table", typeName(e))
				return nil
			}
			ms = append(ms, m)
		}
	default:
		t.wrongType(key, v, "an array of tables ([["+key+"]])")
		return nil
	}
	out := make([]*table, len(ms))
	for i, m := range ms {
		out[i] = &table{d: t.d, path: indexPath(t.field(key), i), m: m, used: map[string]bool{}}
	}
	return out
}

// array returns the elements of the array at key.
func (t *table) array(key string) ([]any, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	a, isArray := v.([]any)
	if !isArray {
		t.wrongType(key, v, "an array")
		return nil, false
	}
	return a, true
}

// finish rejects the keys the schema did not ask for, the first in file
// order, suggesting the known key it most resembles.
func (t *table) finish() {
	if !t.d.ok() {
		return
	}
	var unknown []string
	for k := range t.m {
		if !t.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return
	}
	slices.SortFunc(unknown, func(a, b string) int {
		la, lb := t.d.pos.line(t.field(a)), t.d.pos.line(t.field(b))
		if la != lb {
			return la - lb
		}
		return strings.Compare(a, b)
	})
	k := unknown[0]
	known := make([]string, 0, len(t.used))
	for u := range t.used {
		known = append(known, u)
	}
	slices.Sort(known)
	msg := "unknown key"
	if best := closest(k, known); best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	} else if len(known) > 0 {
		msg += " (known keys: " + strings.Join(known, ", ") + ")"
	}
	t.fail(k, "%s", msg)
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
