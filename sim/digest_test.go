package sim

import (
	"reflect"
	"slices"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// digestOf is the digest a tracer gives the events, in order.
func digestOf(t *testing.T, events []TraceEvent) string {
	t.Helper()
	tr := newTracer(nil)
	for _, e := range events {
		tr.record(e)
	}
	d, err := tr.finish()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The digest covers every field of every event: changing any one field
// of any one event of a trace changes it (so does reordering, dropping or
// adding an event, which is all Seq records). A field added to TraceEvent
// and left out of the digest fails here.
func TestDigestCoversEveryTraceField(t *testing.T) {
	trace := []TraceEvent{
		{Time: 1, Kind: TraceSend, Node: 1, Peer: 2, Msg: raft.MsgApp, MsgID: 7, Term: 3, Index: 4, N: 2, Text: "a"},
		{Time: 2, Kind: TraceDeliver, Node: 2, Peer: 1, Msg: raft.MsgApp, MsgID: 7, Term: 3, Index: 4},
		{Time: 3, Kind: TracePhase, Text: "end"},
	}
	ref := digestOf(t, trace)
	typ := reflect.TypeFor[TraceEvent]()
	for k := range trace {
		for i := range typ.NumField() {
			name := typ.Field(i).Name
			if name == "Seq" {
				continue // the tracer numbers the events itself
			}
			changed := slices.Clone(trace)
			f := reflect.ValueOf(&changed[k]).Elem().Field(i)
			switch f.Kind() {
			case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				f.SetUint(f.Uint() + 1)
			case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				f.SetInt(f.Int() + 1)
			case reflect.String:
				f.SetString(f.String() + "x")
			default:
				t.Fatalf("TraceEvent.%s is a %s: teach the digest and this test about it", name, f.Kind())
			}
			if digestOf(t, changed) == ref {
				t.Errorf("changing %s of event %d leaves the digest unchanged", name, k)
			}
		}
	}
	for name, changed := range map[string][]TraceEvent{
		"swapped": {trace[1], trace[0], trace[2]},
		"dropped": trace[:2],
		"added":   append(slices.Clone(trace), trace[2]),
	} {
		if digestOf(t, changed) == ref {
			t.Errorf("a trace with an event %s has the same digest", name)
		}
	}
	// The text is length-prefixed: moving a byte between two texts is a
	// different trace.
	a := []TraceEvent{{Kind: TracePhase, Text: "ab"}, {Kind: TracePhase, Text: "c"}}
	b := []TraceEvent{{Kind: TracePhase, Text: "a"}, {Kind: TracePhase, Text: "bc"}}
	if digestOf(t, a) == digestOf(t, b) {
		t.Error("texts split differently give the same digest")
	}
}
