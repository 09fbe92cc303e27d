package checker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"pgregory.net/rapid"
)

// testBudget is far more than any hand-built history needs; a test that
// hits it fails as Unknown rather than passing.
const testBudget = 30 * time.Second

func check(t *testing.T, h History) LinearizabilityResult {
	t.Helper()
	res, err := CheckLinearizable(h, LinearizabilityOptions{Budget: testBudget})
	if err != nil {
		t.Fatalf("CheckLinearizable: %v", err)
	}
	return res
}

// TestLinearizabilityHandBuilt covers each kind and outcome with a legal
// history and an illegal one differing in one detail. Comments draw the
// intervals on a time line.
func TestLinearizabilityHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		h    History
		want Verdict
	}{
		{"sequential put then get", numbered(
			okPut(1, "x", "a", 0, 10),
			okGet(2, "x", "a", 20, 30)), VerdictOK},
		{"get of a never written key", numbered(
			okGetMissing(1, "x", 0, 10)), VerdictOK},
		{"get finds a never written key", numbered(
			okGet(1, "x", "", 0, 10)), VerdictIllegal},
		{"concurrent get may read the old value", numbered(
			okPut(1, "x", "a", 0, 30),
			okGetMissing(2, "x", 10, 20)), VerdictOK},
		// Intervals are closed: [0,10] and [10,20] overlap, so the get may
		// be ordered first.
		{"touching intervals are concurrent", numbered(
			okPut(1, "x", "a", 0, 10),
			okGetMissing(2, "x", 10, 20)), VerdictOK},
		{"stale read of a missing key", numbered(
			okPut(1, "x", "a", 0, 10),
			okGetMissing(2, "x", 11, 20)), VerdictIllegal},
		{"stale read of an overwritten value", numbered(
			okPut(1, "x", "a", 0, 10),
			okPut(1, "x", "b", 20, 30),
			okGet(2, "x", "a", 40, 50)), VerdictIllegal},
		{"read goes back in time", numbered(
			okPut(1, "x", "a", 0, 10),
			okPut(1, "x", "b", 20, 100),
			okGet(2, "x", "b", 30, 40),
			okGet(3, "x", "a", 50, 60)), VerdictIllegal},
		{"reads agree on one order", numbered(
			okPut(1, "x", "a", 0, 10),
			okPut(1, "x", "b", 20, 100),
			okGet(2, "x", "a", 30, 40),
			okGet(3, "x", "b", 50, 60)), VerdictOK},
		{"lost append", numbered(
			okAppend(1, "x", "a", 0, 10),
			okAppend(2, "x", "b", 20, 30),
			okGet(3, "x", "a", 40, 50)), VerdictIllegal},
		{"appends in order", numbered(
			okAppend(1, "x", "a", 0, 10),
			okAppend(2, "x", "b", 20, 30),
			okGet(3, "x", "ab", 40, 50)), VerdictOK},
		{"concurrent appends in either order", numbered(
			okAppend(1, "x", "a", 0, 30),
			okAppend(2, "x", "b", 0, 30),
			okGet(3, "x", "ba", 40, 50)), VerdictOK},
		{"duplicated append", numbered(
			okAppend(1, "x", "a", 0, 10),
			okGet(2, "x", "aa", 20, 30)), VerdictIllegal},
		{"append creates a missing key", numbered(
			okAppend(1, "x", "a", 0, 10),
			okGet(2, "x", "a", 20, 30)), VerdictOK},
		{"lost put", numbered(
			okPut(1, "x", "a", 0, 10),
			okPut(2, "x", "b", 20, 30),
			okGet(3, "x", "a", 40, 50)), VerdictIllegal},
		{"cas swaps once", numbered(
			okPut(1, "x", "0", 0, 10),
			okCAS(2, "x", "0", "1", true, 20, 30),
			okCAS(3, "x", "0", "2", false, 20, 30),
			okGet(1, "x", "1", 40, 50)), VerdictOK},
		{"two cas from the same expected value both swap", numbered(
			okPut(1, "x", "0", 0, 10),
			okCAS(2, "x", "0", "1", true, 20, 30),
			okCAS(3, "x", "0", "2", true, 20, 30)), VerdictIllegal},
		{"cas reports no swap although the value matched", numbered(
			okPut(1, "x", "a", 0, 10),
			okCAS(2, "x", "a", "b", false, 20, 30)), VerdictIllegal},
		{"cas on a missing key does not swap", numbered(
			okCAS(1, "x", "", "b", false, 0, 10),
			okGetMissing(2, "x", 20, 30)), VerdictOK},
		{"cas on a missing key swaps", numbered(
			okCAS(1, "x", "", "b", true, 0, 10)), VerdictIllegal},
		{"swapped cas value is lost", numbered(
			okPut(1, "x", "a", 0, 10),
			okCAS(2, "x", "a", "b", true, 20, 30),
			okGet(3, "x", "a", 40, 50)), VerdictIllegal},
		{"unknown write appears later", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okPut(2, "x", "b", 20, 30)),
			okGet(3, "x", "a", 40, 50),
			okGet(3, "x", "b", 1000, 1010)), VerdictOK},
		{"unknown write never appears", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okPut(2, "x", "b", 20, 30)),
			okGet(3, "x", "a", 40, 50),
			okGet(3, "x", "a", 1000, 1010)), VerdictOK},
		{"unknown write appears before its invocation", numbered(
			okPut(1, "x", "a", 0, 10),
			okGet(3, "x", "b", 20, 30),
			unknown(okPut(2, "x", "b", 40, 50))), VerdictIllegal},
		{"unknown write appears, then is undone", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okPut(2, "x", "b", 20, 30)),
			okGet(3, "x", "b", 40, 50),
			okGet(3, "x", "a", 60, 70)), VerdictIllegal},
		{"unknown append applies at most once", numbered(
			unknown(okAppend(1, "x", "a", 0, 10)),
			okGet(2, "x", "aa", 20, 30)), VerdictIllegal},
		{"unknown cas takes effect", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okCAS(2, "x", "a", "b", false, 20, 30)),
			okGet(3, "x", "b", 40, 50)), VerdictOK},
		{"unknown cas cannot swap a value it does not expect", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okCAS(2, "x", "z", "b", false, 20, 30)),
			okGet(3, "x", "b", 40, 50)), VerdictIllegal},
		{"failed write has no effect", numbered(
			okPut(1, "x", "a", 0, 10),
			failed(okPut(2, "x", "b", 20, 30)),
			okGet(3, "x", "b", 40, 50)), VerdictIllegal},
		{"unknown get constrains nothing", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okGet(2, "x", "zzz", 20, 30)),
			okGet(3, "x", "a", 40, 50)), VerdictOK},
		{"delete then get finds nothing", numbered(
			okPut(1, "x", "a", 0, 10),
			okDelete(2, "x", 20, 30),
			okGetMissing(3, "x", 40, 50)), VerdictOK},
		{"lost delete", numbered(
			okPut(1, "x", "a", 0, 10),
			okDelete(2, "x", 20, 30),
			okGet(3, "x", "a", 40, 50)), VerdictIllegal},
		{"delete of a missing key succeeds", numbered(
			okDelete(1, "x", 0, 10),
			okGetMissing(2, "x", 20, 30)), VerdictOK},
		{"key vanishes without a delete", numbered(
			okPut(1, "x", "a", 0, 10),
			okGetMissing(2, "x", 20, 30)), VerdictIllegal},
		{"deleted key comes back without a write", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okDelete(2, "x", 20, 30)),
			okGetMissing(3, "x", 40, 50),
			okGet(3, "x", "a", 60, 70)), VerdictIllegal},
		{"unknown delete takes effect", numbered(
			okPut(1, "x", "a", 0, 10),
			unknown(okDelete(2, "x", 20, 30)),
			okGet(3, "x", "a", 40, 50),
			okGetMissing(3, "x", 60, 70)), VerdictOK},
		{"cas after delete does not swap", numbered(
			okPut(1, "x", "a", 0, 10),
			okDelete(2, "x", 20, 30),
			okCAS(3, "x", "a", "b", true, 40, 50)), VerdictIllegal},
		{"an empty value is not a missing key", numbered(
			okPut(1, "x", "", 0, 10),
			okGetMissing(2, "x", 20, 30)), VerdictIllegal},
		{"without existence info an empty value reads like a missing key", numbered(
			okPut(1, "x", "", 0, 10),
			Operation{ClientID: 2, Kind: OpGet, Key: "x", Invoke: 20, Complete: 30, Outcome: OutcomeOK, FoundUnknown: true}),
			VerdictOK},
		{"without existence info values are still compared", numbered(
			okPut(1, "x", "a", 0, 10),
			Operation{ClientID: 2, Kind: OpGet, Key: "x", Invoke: 20, Complete: 30, Outcome: OutcomeOK, FoundUnknown: true}),
			VerdictIllegal},
		{"empty history", History{}, VerdictOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(t, tt.h)
			if res.Verdict != tt.want {
				t.Fatalf("verdict %v, want %v (%v)", res.Verdict, tt.want, res)
			}
			if tt.want == VerdictIllegal && (!res.Located || res.Key != "x") {
				t.Fatalf("illegal but located=%v key=%q, want key x", res.Located, res.Key)
			}
		})
	}
}

// TestLinearizabilityNamesFailingKey checks that a violation on one key
// among several is found and attributed to that key, whatever its place in
// key order.
func TestLinearizabilityNamesFailingKey(t *testing.T) {
	for _, bad := range []string{"a", "m", "z"} {
		var ops []Operation
		for i, k := range []string{"a", "m", "z"} {
			c := uint64(10 * (i + 1))
			ops = append(ops, okPut(c, k, "v", 0, 10))
			if k == bad {
				ops = append(ops, okGet(c+1, k, "stale", 20, 30))
			} else {
				ops = append(ops, okGet(c+1, k, "v", 20, 30))
			}
		}
		res := check(t, numbered(ops...))
		if res.Verdict != VerdictIllegal || !res.Located || res.Key != bad {
			t.Errorf("violation on %q: got %v (key %q, located %v)", bad, res.Verdict, res.Key, res.Located)
		}
		if res.Ops != 6 || res.Keys != 3 {
			t.Errorf("counted %d ops on %d keys, want 6 on 3", res.Ops, res.Keys)
		}
	}
}

func TestCheckLinearizableRejectsInvalidHistory(t *testing.T) {
	bad := okPut(1, "x", "a", 10, 5)
	_, err := CheckLinearizable(numbered(bad), LinearizabilityOptions{})
	if !errors.Is(err, ErrInvalidHistory) || !strings.Contains(err.Error(), "complete") {
		t.Fatalf("got %v, want ErrInvalidHistory naming complete", err)
	}
	_, err = CheckLinearizable(History{}, LinearizabilityOptions{Budget: -time.Second})
	if err == nil {
		t.Fatal("negative budget accepted")
	}
}

// TestGeneratedHistoriesAreLinearizable checks generated linearizable
// histories, and the same histories with one read corrupted.
func TestGeneratedHistoriesAreLinearizable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := genConfig{
			seed:           rapid.Uint64().Draw(t, "seed"),
			ops:            rapid.IntRange(1, 150).Draw(t, "ops"),
			clients:        rapid.IntRange(1, 8).Draw(t, "clients"),
			keys:           rapid.IntRange(1, 4).Draw(t, "keys"),
			unknownPer1000: rapid.IntRange(0, 200).Draw(t, "unknownPer1000"),
			failPer1000:    rapid.IntRange(0, 100).Draw(t, "failPer1000"),
		}
		h := genLinearizable(cfg)
		res, err := CheckLinearizable(h, LinearizabilityOptions{Budget: testBudget})
		skipUndecided(t, res, err)
		if err != nil || res.Verdict != VerdictOK {
			t.Fatalf("generated history: %v, %v; reproduce with genConfig%+v", res, err, cfg)
		}
		var reads []int
		for i, op := range h.Ops {
			if op.Kind == OpGet && op.Outcome == OutcomeOK {
				reads = append(reads, i)
			}
		}
		if len(reads) == 0 {
			return
		}
		i := reads[rapid.IntRange(0, len(reads)-1).Draw(t, "corrupted read")]
		h.Ops[i].Found, h.Ops[i].Output = true, "never written"
		res, err = CheckLinearizable(h, LinearizabilityOptions{Budget: testBudget})
		skipUndecided(t, res, err)
		if err != nil || res.Verdict != VerdictIllegal || res.Key != h.Ops[i].Key {
			t.Fatalf("corrupted read of %q: %v, %v; reproduce with genConfig%+v", h.Ops[i].Key, res, err, cfg)
		}
	})
}

// skipUndecided drops a generated case whose search ran out of its
// wall-clock budget. With many unknown outcomes on one key porcupine's
// search is exponential, and on a loaded machine a few such cases do not
// finish in the budget; an undecided search is reported as inconclusive,
// never as a verdict, so it proves nothing either way about the property,
// which is that a decided verdict is the right one. rapid fails the test
// if it has to drop too many cases.
func skipUndecided(t *rapid.T, res LinearizabilityResult, err error) {
	if err == nil && res.Verdict == VerdictUnknown {
		t.Skipf("undecided within %v: %d operations on %d keys", testBudget, res.Ops, res.Keys)
	}
}

// TestPartitionEvents checks the event-history partition function with
// porcupine's event API, which CheckLinearizable does not use.
func TestPartitionEvents(t *testing.T) {
	call := func(id int, op Operation) porcupine.Event {
		return porcupine.Event{ClientId: id, Kind: porcupine.CallEvent, Value: kvInput{op: op}, Id: id}
	}
	ret := func(id int, op Operation) porcupine.Event {
		return porcupine.Event{ClientId: id, Kind: porcupine.ReturnEvent, Id: id,
			Value: kvOutput{found: op.Found, output: op.Output, swapped: op.Swapped}}
	}
	putX, putY := okPut(0, "x", "a", 0, 0), okPut(1, "y", "b", 0, 0)
	getX, getY := okGet(2, "x", "a", 0, 0), okGet(3, "y", "a", 0, 0)
	events := []porcupine.Event{call(0, putX), call(1, putY), ret(1, putY), ret(0, putX), call(2, getX), ret(2, getX)}
	if !porcupine.CheckEvents(kvModel(), events) {
		t.Error("legal event history rejected")
	}
	if parts := partitionEventsByKey(events); len(parts) != 2 || len(parts[0]) != 4 || len(parts[1]) != 2 {
		t.Errorf("partitions %v, want x with 4 events and y with 2", parts)
	}
	events = append(events, call(3, getY), ret(3, getY))
	if porcupine.CheckEvents(kvModel(), events) {
		t.Error("y read a value written to x, but the history was accepted")
	}
}

func TestDescribeOperation(t *testing.T) {
	tests := []struct {
		op   Operation
		want string
	}{
		{okPut(1, "k", "v", 0, 1), "put(k, v)"},
		{okAppend(1, "k", "x 0 y", 0, 1), `append(k, "x 0 y")`},
		{okGet(1, "k", "v", 0, 1), "get(k) -> v"},
		{okGet(1, "k", "", 0, 1), `get(k) -> ""`},
		{okGetMissing(1, "k", 0, 1), "get(k) -> not found"},
		{okDelete(1, "k", 0, 1), "delete(k)"},
		{okCAS(1, "k", "a", "b", true, 0, 1), "cas(k, a→b) -> swapped"},
		{okCAS(1, "k", "a", "b", false, 0, 1), "cas(k, a→b) -> not swapped"},
		{unknown(okPut(1, "k", "v", 0, 1)), "put(k, v) -> ?"},
	}
	for _, tt := range tests {
		p := toPorcupine([]Operation{tt.op})[0]
		if got := describeKVOperation(p.Input, p.Output); got != tt.want {
			t.Errorf("%v: described as %q, want %q", tt.op, got, tt.want)
		}
	}
	if got := describeKVState(kvState{}); got != "(absent)" {
		t.Errorf("absent state described as %q", got)
	}
	if got := describeKVState(kvState{present: true, value: ""}); got != `""` {
		t.Errorf("empty state described as %q", got)
	}
}

// TestVisualization writes the counterexample of a two-key history with
// annotations and checks that it shows the annotations and the failing
// key, but not the other key.
func TestVisualization(t *testing.T) {
	h := numbered(
		okPut(1, "good", "elsewhere-value", 0, 10),
		okGet(2, "good", "elsewhere-value", 20, 30),
		okPut(7, "bad", "a", 0, 10),
		okGet(8, "bad", "stale-read", 20, 30),
	)
	res := check(t, h)
	if res.Verdict != VerdictIllegal || res.Key != "bad" {
		t.Fatalf("got %v, want illegal on key bad", res)
	}
	annotations := []Annotation{
		{Start: 5, End: 25, Label: "partition-n1-n2", Description: "nodes 1 and 2 cut off", Track: "faults"},
		{Start: 15, Label: "leader-n3", Track: "leader"},
		{Start: 2, End: 8, Label: "crash-node", Node: 2},
		{Start: 12, End: 18, Label: "client-pause", OnClient: true, ClientID: 8},
	}
	path := filepath.Join(t.TempDir(), "bad.html")
	if err := res.WriteVisualization(path, annotations); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	for _, want := range []string{"partition-n1-n2", "leader-n3", "crash-node", "client-pause",
		"nodes 1 and 2 cut off", "stale-read", `"Tag":"node 2"`, `"Tag":"faults"`} {
		if !strings.Contains(html, want) {
			t.Errorf("visualization lacks %q", want)
		}
	}
	if strings.Contains(html, "elsewhere-value") {
		t.Error("visualization shows operations of a key that is not at fault")
	}

	ok := check(t, numbered(okPut(1, "x", "a", 0, 10)))
	if err := ok.WriteVisualization(path, nil); !errors.Is(err, ErrNoCounterexample) {
		t.Errorf("visualizing an OK result: got %v, want ErrNoCounterexample", err)
	}
}

func TestAnnotationRows(t *testing.T) {
	clients := []uint64{4, 9}
	got := toPorcupineAnnotations([]Annotation{
		{Start: 1, End: 0, Label: "point"},
		{Start: 1, End: 2, Track: "faults", Node: 3},
		{Start: 1, End: 2, OnClient: true, ClientID: 9},
		{Start: 1, End: 2, OnClient: true, ClientID: 5},
	}, clients)
	want := []struct {
		tag    string
		client int
		end    int64
	}{{"events", 0, 1}, {"faults node 3", 0, 2}, {"", 1, 2}, {"client 5", 0, 2}}
	for i, w := range want {
		if got[i].Tag != w.tag || got[i].ClientId != w.client || got[i].End != w.end {
			t.Errorf("annotation %d: tag %q client %d end %d, want %q %d %d",
				i, got[i].Tag, got[i].ClientId, got[i].End, w.tag, w.client, w.end)
		}
	}
}
