package export

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// faultyRun runs a short run with loss, duplication, a partition and a
// crash, recording its messages.
func faultyRun(t *testing.T) (*sim.Result, *Recorder, []byte) {
	t.Helper()
	cfg := sim.Defaults()
	cfg.Seed = 4
	cfg.Duration, cfg.HealDuration = 1500*time.Millisecond, time.Second
	cfg.Network.Loss.Num, cfg.Network.Loss.Den = 2, 100
	cfg.Network.Duplicate.Num, cfg.Network.Duplicate.Den = 2, 100
	cfg.Timeline = []sim.Action{
		{At: 400 * time.Millisecond, Kind: sim.ActPartition, Groups: [][]raft.NodeID{{1, 2}, {3, 4, 5}}},
		{At: 700 * time.Millisecond, Kind: sim.ActHeal},
		{At: 900 * time.Millisecond, Kind: sim.ActCrash, Leader: true},
		{At: 1200 * time.Millisecond, Kind: sim.ActRestart},
	}
	rec := NewRecorder()
	var trace bytes.Buffer
	cfg.Trace = io.MultiWriter(&trace, rec)
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Err(); err != nil {
		t.Fatal(err)
	}
	return res, rec, trace.Bytes()
}

// checkChrome checks a file against the documented fields of the Chrome
// trace-event format (the JSON object form): every event has a name, a
// known phase, pid, tid and a timestamp; complete events a duration and
// proper nesting on their thread; instants a scope; flows an id, each
// start with one finish no earlier; metadata a name argument.
func checkChrome(data []byte) (map[string]int, error) {
	var file struct {
		TraceEvents     []map[string]json.RawMessage `json:"traceEvents"`
		DisplayTimeUnit string                       `json:"displayTimeUnit"`
		OtherData       map[string]any               `json:"otherData"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("not a trace-event object: %v", err)
	}
	if file.DisplayTimeUnit != "ms" && file.DisplayTimeUnit != "ns" {
		return nil, fmt.Errorf("displayTimeUnit %q", file.DisplayTimeUnit)
	}
	known := map[string]bool{"name": true, "cat": true, "ph": true, "ts": true, "dur": true, "pid": true, "tid": true,
		"id": true, "bp": true, "s": true, "args": true}
	type ev struct {
		Name, Cat, Ph, ID, Bp, S string
		Ts                       float64
		Dur                      *float64
		Pid, Tid                 *int64
		Args                     map[string]any
	}
	counts := map[string]int{}
	flows := map[string][2]float64{}
	flowEnds := map[string][2]int{}
	type slice struct{ start, end float64 }
	threads := map[[2]int64][]slice{}
	for i, raw := range file.TraceEvents {
		for k := range raw {
			if !known[k] {
				return nil, fmt.Errorf("event %d: field %q is not one of the format's", i, k)
			}
		}
		b, _ := json.Marshal(raw)
		var e ev
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("event %d: %v", i, err)
		}
		if e.Name == "" || e.Pid == nil || e.Tid == nil {
			return nil, fmt.Errorf("event %d: name, pid and tid are required: %s", i, b)
		}
		counts[e.Ph]++
		switch e.Ph {
		case "M":
			if e.Name != "process_name" && e.Name != "thread_name" || e.Args["name"] == nil {
				return nil, fmt.Errorf("event %d: metadata %s", i, b)
			}
			continue
		case "X":
			if e.Dur == nil || *e.Dur < 0 {
				return nil, fmt.Errorf("event %d: a complete event needs dur >= 0: %s", i, b)
			}
			k := [2]int64{*e.Pid, *e.Tid}
			threads[k] = append(threads[k], slice{e.Ts, e.Ts + *e.Dur})
		case "i":
			if e.S != "g" && e.S != "p" && e.S != "t" {
				return nil, fmt.Errorf("event %d: instant scope %q", i, e.S)
			}
		case "s", "f":
			if e.ID == "" {
				return nil, fmt.Errorf("event %d: a flow event needs an id", i)
			}
			f, n := flows[e.ID], flowEnds[e.ID]
			if e.Ph == "s" {
				f[0], n[0] = e.Ts, n[0]+1
			} else {
				if e.Bp != "e" {
					return nil, fmt.Errorf("event %d: flow finish binds to its enclosing slice: bp %q", i, e.Bp)
				}
				f[1], n[1] = e.Ts, n[1]+1
			}
			flows[e.ID], flowEnds[e.ID] = f, n
		default:
			return nil, fmt.Errorf("event %d: phase %q", i, e.Ph)
		}
		if e.Ts < 0 {
			return nil, fmt.Errorf("event %d: ts %v", i, e.Ts)
		}
	}
	for id, n := range flowEnds {
		if n != [2]int{1, 1} || flows[id][1] < flows[id][0] {
			return nil, fmt.Errorf("flow %s: %d starts, %d finishes, from %v to %v", id, n[0], n[1], flows[id][0], flows[id][1])
		}
	}
	// Complete events on one thread nest or are disjoint, as the viewers
	// need to stack them.
	for k, ss := range threads {
		slices.SortStableFunc(ss, func(a, b slice) int {
			if a.start != b.start {
				return cmp.Compare(a.start, b.start)
			}
			return cmp.Compare(b.end, a.end)
		})
		var stack []slice
		for _, s := range ss {
			// Times are microseconds as floats: ends computed as ts+dur
			// are exact to well under a nanosecond.
			const eps = 1e-6
			for len(stack) > 0 && stack[len(stack)-1].end <= s.start+eps && !(stack[len(stack)-1].end >= s.start-eps && s.end <= s.start+eps) {
				stack = stack[:len(stack)-1]
			}
			if len(stack) > 0 && s.end > stack[len(stack)-1].end+eps {
				return nil, fmt.Errorf("thread %v: slice %v..%v overlaps %v..%v without nesting", k, s.start, s.end, stack[len(stack)-1].start, stack[len(stack)-1].end)
			}
			stack = append(stack, s)
		}
	}
	counts["flows"] = len(flows)
	return counts, nil
}

func TestChromeExport(t *testing.T) {
	res, rec, trace := faultyRun(t)
	var buf bytes.Buffer
	if err := WriteChrome(&buf, res, rec, Meta{Scenario: "test", Command: "raftsim run"}); err != nil {
		t.Fatal(err)
	}
	counts, err := checkChrome(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m := res.Messages
	copies := m.Delivered + m.DroppedArrival + m.DroppedDown + m.LostAtSend
	if uint64(counts["flows"]) != copies || uint64(len(rec.Copies())) != copies {
		t.Fatalf("%d flows, %d copies recorded, want one per copy that reached its fate: %d", counts["flows"], len(rec.Copies()), copies)
	}
	text := buf.String()
	for _, want := range []string{`"name":"node 5"`, `"name":"client 1"`, `(partition)"`, `(loss)"`, `(crashed receiver)"`,
		`"name":"fault: partition [1,2]|[3,4,5]"`, `"duplicate":true`, `"cat":"role"`, `elected (term`} {
		if !strings.Contains(text, want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	if n := strings.Count(text, `"pid":2,"tid":`) - strings.Count(text, `"ph":"M","ts":0,"pid":2`); n != len(res.History) {
		t.Errorf("%d client spans, %d operations", n, len(res.History))
	}
	// The trace written beside the Recorder is the canonical one: the
	// export does not change the run.
	if !bytes.Contains(trace, []byte(`"ev":"send"`)) {
		t.Fatal("no trace")
	}
	var again bytes.Buffer
	res2, rec2, _ := faultyRun(t)
	WriteChrome(&again, res2, rec2, Meta{Scenario: "test", Command: "raftsim run"})
	if !bytes.Equal(buf.Bytes(), again.Bytes()) || res2.TraceDigest != res.TraceDigest {
		t.Fatal("two exports of the same run differ")
	}
}

// The format check rejects broken files: it would catch a bad export.
func TestCheckChromeRejects(t *testing.T) {
	for name, text := range map[string]string{
		"unknown field":    `{"traceEvents":[{"name":"a","ph":"X","ts":1,"dur":1,"pid":1,"tid":1,"colour":"red"}],"displayTimeUnit":"ms"}`,
		"no dur":           `{"traceEvents":[{"name":"a","ph":"X","ts":1,"pid":1,"tid":1}],"displayTimeUnit":"ms"}`,
		"flow unfinished":  `{"traceEvents":[{"name":"a","ph":"s","id":"1","ts":1,"pid":1,"tid":1}],"displayTimeUnit":"ms"}`,
		"flow backwards":   `{"traceEvents":[{"name":"a","ph":"s","id":"1","ts":5,"pid":1,"tid":1},{"name":"a","ph":"f","bp":"e","id":"1","ts":1,"pid":1,"tid":2}],"displayTimeUnit":"ms"}`,
		"partial overlap":  `{"traceEvents":[{"name":"a","ph":"X","ts":1,"dur":5,"pid":1,"tid":1},{"name":"b","ph":"X","ts":3,"dur":5,"pid":1,"tid":1}],"displayTimeUnit":"ms"}`,
		"instant no scope": `{"traceEvents":[{"name":"a","ph":"i","ts":1,"pid":1,"tid":1}],"displayTimeUnit":"ms"}`,
	} {
		if _, err := checkChrome([]byte(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

var (
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)
	nanoS = regexp.MustCompile(`^[0-9]+$`)
)

// checkOTLP checks a file against OTLP's JSON encoding of spans.
func checkOTLP(data []byte) (int, error) {
	var file otelFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return 0, err
	}
	ids := map[string]bool{}
	var parents []string
	n := 0
	for _, rs := range file.ResourceSpans {
		if !slices.ContainsFunc(rs.Resource.Attributes, func(a otelAttr) bool { return a.Key == "service.name" }) {
			return 0, errors.New("a resource without service.name")
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				n++
				if !hex32.MatchString(s.TraceID) || !hex16.MatchString(s.SpanID) || ids[s.SpanID] {
					return 0, fmt.Errorf("span %q: trace id %q, span id %q (unique 16 hex digits)", s.Name, s.TraceID, s.SpanID)
				}
				ids[s.SpanID] = true
				if s.ParentSpanID != "" {
					parents = append(parents, s.ParentSpanID)
				}
				if !nanoS.MatchString(s.StartTimeUnixNano) || !nanoS.MatchString(s.EndTimeUnixNano) ||
					len(s.StartTimeUnixNano) > len(s.EndTimeUnixNano) || len(s.StartTimeUnixNano) == len(s.EndTimeUnixNano) && s.StartTimeUnixNano > s.EndTimeUnixNano {
					return 0, fmt.Errorf("span %q: times %s..%s", s.Name, s.StartTimeUnixNano, s.EndTimeUnixNano)
				}
				if s.Kind < 0 || s.Kind > 5 || s.Status.Code < 0 || s.Status.Code > 2 {
					return 0, fmt.Errorf("span %q: kind %d, status %d", s.Name, s.Kind, s.Status.Code)
				}
			}
		}
	}
	for _, p := range parents {
		if !ids[p] {
			return 0, fmt.Errorf("parent span %s does not exist", p)
		}
	}
	return n, nil
}

func TestOTLPExport(t *testing.T) {
	res, rec, _ := faultyRun(t)
	var buf bytes.Buffer
	if err := WriteOTLP(&buf, res, rec, Meta{Scenario: "test"}); err != nil {
		t.Fatal(err)
	}
	n, err := checkOTLP(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want := len(res.Roles) + len(rec.Copies()) + len(res.History); n != want {
		t.Fatalf("%d spans, want %d (roles, message copies, operations)", n, want)
	}
	if !strings.Contains(buf.String(), `"message":"dropped: partition"`) {
		t.Error("no dropped message span says why")
	}
	bad := strings.Replace(buf.String(), `"spanId":"0000000000000002"`, `"spanId":"2"`, 1)
	if _, err := checkOTLP([]byte(bad)); err == nil {
		t.Error("a short span id was accepted")
	}
}
