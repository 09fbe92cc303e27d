package scenarios

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft/kv"
	"github.com/raftsim/raftsim/sim"
)

// roundTrip checks Parse(Encode(s)) == s, and that encoding again gives the
// same bytes.
func roundTrip(t *testing.T, s *Scenario) {
	t.Helper()
	enc := Encode(s)
	p, err := Parse("enc.toml", enc)
	if err != nil {
		t.Fatalf("%s: the encoding does not parse: %v\n%s", s.Name, err, enc)
	}
	if !reflect.DeepEqual(p, s) {
		t.Fatalf("%s: round trip differs\nwant %+v\ngot  %+v\n%s", s.Name, s, p, enc)
	}
	if again := Encode(p); !bytes.Equal(again, enc) {
		t.Fatalf("%s: encoding is not stable:\n%s\n---\n%s", s.Name, enc, again)
	}
}

func TestEncodeRoundTripsBuiltins(t *testing.T) {
	for _, s := range Builtins() {
		roundTrip(t, s)
		s.Reproducer = &Reproducer{Version: "v1.2.3", TraceDigest: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Failures: []string{"invariant/read-freshness"}}
		s.Description = "quotes \" and \\ and\nnewlines\tand tabs"
		roundTrip(t, s)
		s.Reproducer.Planted = "figure-8-commit"
		roundTrip(t, s)
	}
}

func TestEncodeRoundTripsGenerated(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		roundTrip(t, Generate(seed, GenerateOptions{}))
	}
	s := Generate(1<<64-1, GenerateOptions{})
	roundTrip(t, s)
	s.Config.Disk.Store = sim.StoreFile
	roundTrip(t, s)
}

// Bounded sessions are read from [workload] and written back; a file
// without them keeps the unbounded default, and an idle bound without a
// table bound is an error that names the field.
func TestWorkloadSessionsRoundTrip(t *testing.T) {
	s := Builtins()[0]
	s.Config.Timeline, s.Config.Checks = nil, nil
	s.Config.Workload.Sessions = kv.SessionLimits{Max: 4, IdleEntries: 300}
	roundTrip(t, s)
	if enc := string(Encode(s)); !strings.Contains(enc, "sessions = 4\n") || !strings.Contains(enc, "session_idle_entries = 300\n") {
		t.Fatalf("encoding lacks the session limits:\n%s", enc)
	}
	p, err := Parse("x.toml", []byte("name = \"x\"\nnodes = 3\nduration = \"1s\"\n[workload]\nsession_idle_entries = 5\n"))
	if err == nil || !strings.Contains(err.Error(), "x.toml") || !strings.Contains(err.Error(), "workload.session_idle_entries") {
		t.Fatalf("an idle bound alone: %v, %v", p, err)
	}
}
