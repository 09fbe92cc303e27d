package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/raftsim/raftsim/scenarios"
)

// jsonKeys walks a JSON document token by token, as encoding/json does
// not: it rejects a key given twice in one object (encoding/json keeps the
// last silently) and anything after the top-level value, and it records
// the line of every key, so that errors about a field can name its line.
type jsonKeys struct {
	data []byte
	// lines maps a field path ("failures[2].seed") to its line.
	lines map[string]int
}

type jsonFrame struct {
	object bool
	path   string
	keys   map[string]bool
	// key is the key whose value comes next (objects); index is the next
	// element's position (arrays).
	key   string
	index int
}

func (f *jsonFrame) child() string {
	if f.object {
		if f.path == "" {
			return f.key
		}
		return f.path + "." + f.key
	}
	return f.path + "[" + strconv.Itoa(f.index) + "]"
}

// scanJSONKeys checks data as described at jsonKeys.
func scanJSONKeys(data []byte) (*jsonKeys, error) {
	k := &jsonKeys{data: data, lines: map[string]int{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*jsonFrame
	// valueDone moves the enclosing frame past a value.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if f := stack[len(stack)-1]; f.object {
			f.key = ""
		} else {
			f.index++
		}
	}
	for started := false; !started || len(stack) > 0; started = true {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%d: %v", k.line(off), err)
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				path := ""
				if len(stack) > 0 {
					path = stack[len(stack)-1].child()
				}
				stack = append(stack, &jsonFrame{object: t == '{', path: path, keys: map[string]bool{}})
				continue
			}
			stack = stack[:len(stack)-1]
			valueDone()
		case string:
			if f := top(stack); f != nil && f.object && f.key == "" {
				dup := f.keys[t]
				f.keys[t], f.key = true, t
				if dup {
					return nil, fmt.Errorf("%d: %s: the key is given twice", k.line(dec.InputOffset()), f.child())
				}
				k.lines[f.child()] = k.line(dec.InputOffset())
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
	if rest := data[dec.InputOffset():]; !isSpace(rest) {
		return nil, fmt.Errorf("%d: data after the summary: %.20q", k.line(dec.InputOffset()+int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n")))), bytes.TrimSpace(rest))
	}
	return k, nil
}

func top(stack []*jsonFrame) *jsonFrame {
	if len(stack) == 0 {
		return nil
	}
	return stack[len(stack)-1]
}

func isSpace(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// line returns the 1-based line of byte offset off.
func (k *jsonKeys) line(off int64) int {
	return 1 + bytes.Count(k.data[:min(off, int64(len(k.data)))], []byte{'\n'})
}

// at formats the position of field for an error message.
func (k *jsonKeys) at(field string) string {
	if l, ok := k.lines[field]; ok {
		return fmt.Sprintf("%d: %s", l, field)
	}
	return " " + field
}

// checkShardSummary checks that a shard's summary agrees with itself: the
// counts with the lists, every listed seed with the shard's seeds, and the
// result with the counts. path names the file in errors.
func checkShardSummary(path string, s *fuzzSummary, k *jsonKeys) error {
	bad := func(field, format string, args ...any) error {
		return usageErrorf("%s:%s: %s", path, k.at(field), fmt.Sprintf(format, args...))
	}
	if s.Seeds == 0 || s.DurationMs <= 0 {
		return bad("seeds", "a campaign of %d seeds of %dms each", s.Seeds, s.DurationMs)
	}
	i, n, err := parseShard(s.Shard)
	if err != nil {
		return bad("shard", "%v", err)
	}
	if _, err := scenarios.ParseDiskFaultMode(s.DiskFaults); err != nil {
		return bad("disk_faults", "%v", err)
	}
	if s.SeedStart+(s.Seeds-1) < s.SeedStart {
		return bad("seeds", "%d seeds from %d run past the largest seed", s.Seeds, s.SeedStart)
	}
	mine := shardSeeds(s.SeedStart, s.Seeds, i, n)
	if s.Runs > mine.count || !s.Stopped && s.Runs != mine.count {
		return bad("runs", "%d runs, but shard %s has %d seeds (stopped: %v)", s.Runs, s.Shard, mine.count, s.Stopped)
	}
	if s.Failed != uint64(len(s.Failures)) {
		return bad("failed", "%d, but failures lists %d seeds", s.Failed, len(s.Failures))
	}
	if s.Inconclusive != uint64(len(s.InconclusiveRuns)) {
		return bad("inconclusive", "%d, but inconclusive_runs lists %d seeds", s.Inconclusive, len(s.InconclusiveRuns))
	}
	if s.Failed+s.Inconclusive > s.Runs {
		return bad("runs", "%d runs, fewer than the %d failed and %d inconclusive", s.Runs, s.Failed, s.Inconclusive)
	}
	listed := map[uint64]bool{}
	for _, l := range []struct {
		field, result string
		runs          []seedResult
	}{{"failures", "fail", s.Failures}, {"inconclusive_runs", "inconclusive", s.InconclusiveRuns}} {
		for j, r := range l.runs {
			field := fmt.Sprintf("%s[%d]", l.field, j)
			switch {
			case !mine.contains(r.Seed):
				return bad(field+".seed", "seed %d is not one of shard %s's", r.Seed, s.Shard)
			case listed[r.Seed]:
				return bad(field+".seed", "seed %d is listed twice", r.Seed)
			case j > 0 && r.Seed < l.runs[j-1].Seed:
				return bad(field+".seed", "seed %d after seed %d: not in seed order", r.Seed, l.runs[j-1].Seed)
			case r.Result != l.result:
				return bad(field+".result", "%q in %s, want %q", r.Result, l.field, l.result)
			case r.Result == "fail" && len(r.Failures) == 0:
				return bad(field+".failures", "a failed run that names no failure")
			case !isHex(r.TraceDigest, 64):
				return bad(field+".trace_digest", "%q is not a SHA-256 in hex", r.TraceDigest)
			}
			listed[r.Seed] = true
		}
	}
	if err := checkFuzzDisk(s, bad); err != nil {
		return err
	}
	if !isHex(s.Fingerprint, 64) {
		return bad("fingerprint", "%q is not a SHA-256 in hex", s.Fingerprint)
	}
	want := *s
	want.finish()
	if s.Result != want.Result {
		return bad("result", "%q, but the counts say %q", s.Result, want.Result)
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
