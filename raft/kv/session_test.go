package kv

import (
	"bytes"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// A retry (same client, same seq) returns the original response, byte for
// byte, and does not apply the command again, even when the state has
// changed in between so that applying it again would answer differently.
func TestRetryReturnsOriginalResponse(t *testing.T) {
	const me, other = ClientID(1), ClientID(2)
	tests := []struct {
		name     string
		setup    []Command // by other, before the command
		cmd      Command   // by me, applied and then retried
		between  []Command // by other, between the command and its retry
		want     Response  // response to the command and to its retry
		wantK    string    // value of "k" at the end
		wantKSet bool
	}{
		{"append", nil, Append(me, 1, "k", "x"), nil,
			Response{Status: StatusOK}, "x", true},
		{"put then overwritten", nil, Put(me, 1, "k", "mine"), []Command{Put(other, 1, "k", "theirs")},
			Response{Status: StatusOK}, "theirs", true},
		{"get then changed", []Command{Put(other, 1, "k", "v1")}, Get(me, 1, "k"), []Command{Put(other, 2, "k", "v2")},
			Response{Status: StatusOK, Value: "v1"}, "v2", true},
		{"get missing then created", nil, Get(me, 1, "k"), []Command{Put(other, 1, "k", "v")},
			Response{Status: StatusNotFound}, "v", true},
		{"cas then reset", []Command{Put(other, 1, "k", "a")}, CAS(me, 1, "k", "a", "b"), []Command{Put(other, 2, "k", "a")},
			Response{Status: StatusOK}, "a", true},
		{"cas mismatch then matching", []Command{Put(other, 1, "k", "z")}, CAS(me, 1, "k", "a", "b"), []Command{Put(other, 2, "k", "a")},
			Response{Status: StatusCASMismatch, Found: true, Value: "z"}, "a", true},
		{"delete then recreated", []Command{Put(other, 1, "k", "v")}, Delete(me, 1, "k"), []Command{Put(other, 2, "k", "w")},
			Response{Status: StatusOK}, "w", true},
		{"too large then shrunk", []Command{Put(other, 1, "k", string(make([]byte, MaxValueBytes)))}, Append(me, 1, "k", "x"),
			[]Command{Put(other, 2, "k", "")},
			Response{Status: StatusValueTooLarge}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			for _, c := range tt.setup {
				applyCmd(t, s, c)
			}
			data := EncodeCommand(tt.cmd)
			first := s.Apply(normal(s, data))
			for _, c := range tt.between {
				applyCmd(t, s, c)
			}
			for retry := 1; retry <= 3; retry++ {
				again := s.Apply(normal(s, data))
				if !bytes.Equal(again, first) {
					t.Errorf("retry %d of %s: response %x, original %x", retry, tt.cmd, again, first)
				}
			}
			if got, err := DecodeResponse(first); err != nil || got != tt.want {
				t.Errorf("%s: response %s (err %v), want %s", tt.cmd, got, err, tt.want)
			}
			if v, ok := s.Read("k"); v != tt.wantK || ok != tt.wantKSet {
				t.Errorf("k = %.40q, %v; want %.40q, %v", v, ok, tt.wantK, tt.wantKSet)
			}
		})
	}
}

// Retries of Appends, interleaved with other clients' Appends, never
// duplicate any of them.
func TestAppendRetriesDoNotDuplicate(t *testing.T) {
	s := New()
	steps := []Command{
		Append(1, 1, "k", "a"),
		Append(2, 1, "k", "b"),
		Append(1, 1, "k", "a"), // Retry, after another client's append.
		Append(2, 1, "k", "b"),
		Append(1, 2, "k", "c"),
		Append(1, 2, "k", "c"),
		Append(2, 1, "k", "b"), // A late retry: client 2 is still at seq 1.
		Append(1, 1, "k", "a"), // Stale: client 1 moved on to seq 2.
		Append(3, 7, "k", "d"),
		Append(3, 7, "k", "d"),
	}
	for _, c := range steps {
		applyCmd(t, s, c)
	}
	if v, _ := s.Read("k"); v != "abcd" {
		t.Errorf("k = %q, want %q: some append applied twice or not at all", v, "abcd")
	}
}

func TestStaleSequenceRejected(t *testing.T) {
	s := New()
	orig := s.Apply(normal(s, EncodeCommand(Append(1, 3, "k", "x"))))
	for _, seq := range []Seq{2, 1} {
		if got := applyCmd(t, s, Append(1, seq, "k", "y")); got.Status != StatusStaleSequence {
			t.Errorf("seq %d after seq 3: %s, want StaleSequence", seq, got)
		}
	}
	if v, _ := s.Read("k"); v != "x" {
		t.Errorf("k = %q after stale appends, want %q", v, "x")
	}
	// A stale command leaves the session as it was: seq 3 is still a retry.
	if again := s.Apply(normal(s, EncodeCommand(Append(1, 3, "k", "x")))); !bytes.Equal(again, orig) {
		t.Errorf("retry of seq 3 after stale commands: %x, want %x", again, orig)
	}
	if got := applyCmd(t, s, Append(1, 4, "k", "z")); got.Status != StatusOK {
		t.Errorf("seq 4: %s, want OK", got)
	}
	if v, _ := s.Read("k"); v != "xz" {
		t.Errorf("k = %q, want %q", v, "xz")
	}
}

func TestSequenceGapsAllowed(t *testing.T) {
	s := New()
	for _, seq := range []Seq{1, 5, 6, 100} {
		if got := applyCmd(t, s, Append(1, seq, "k", "x")); got.Status != StatusOK {
			t.Fatalf("seq %d: %s, want OK", seq, got)
		}
	}
	if got := applyCmd(t, s, Append(1, 50, "k", "x")); got.Status != StatusStaleSequence {
		t.Errorf("seq 50 after 100: %s, want StaleSequence", got)
	}
	if v, _ := s.Read("k"); v != "xxxx" {
		t.Errorf("k = %q, want %q", v, "xxxx")
	}
}

// One client's sequence numbers say nothing about another's.
func TestClientsIndependent(t *testing.T) {
	s := New()
	applyCmd(t, s, Append(1, 10, "k", "a"))
	if got := applyCmd(t, s, Append(2, 1, "k", "b")); got.Status != StatusOK {
		t.Errorf("client 2 seq 1 after client 1 seq 10: %s, want OK", got)
	}
	if got := applyCmd(t, s, Append(3, 10, "k", "c")); got.Status != StatusOK {
		t.Errorf("client 3 seq 10, the seq client 1 last used: %s, want OK", got)
	}
	if got := applyCmd(t, s, Append(1, 9, "k", "z")); got.Status != StatusStaleSequence {
		t.Errorf("client 1 seq 9: %s, want StaleSequence", got)
	}
	if got := applyCmd(t, s, Append(2, 2, "k", "d")); got.Status != StatusOK {
		t.Errorf("client 2 seq 2: %s, want OK", got)
	}
	if v, _ := s.Read("k"); v != "abcd" {
		t.Errorf("k = %q, want %q", v, "abcd")
	}
	want := map[ClientID]Seq{1: 10, 2: 2, 3: 10}
	for c, seq := range want {
		if sess := s.sessions[c]; sess == nil || sess.seq != seq {
			t.Errorf("client %d: session %+v, want seq %d", c, sess, seq)
		}
	}
	if len(s.sessions) != len(want) {
		t.Errorf("%d sessions, want %d", len(s.sessions), len(want))
	}
}

// Garbage whose bytes happen to name a client must not move that client's
// session: its client ID cannot be trusted.
func TestBadCommandLeavesSessions(t *testing.T) {
	s := New()
	orig := s.Apply(normal(s, EncodeCommand(Append(1, 1, "k", "x"))))
	// Client 1, seq 2, then garbage where the key should be.
	applyData(t, s, []byte{byte(OpAppend), 1, 2, 0xff})
	if again := s.Apply(normal(s, EncodeCommand(Append(1, 1, "k", "x")))); !bytes.Equal(again, orig) {
		t.Errorf("retry of seq 1 after garbage naming seq 2: %x, want the original %x", again, orig)
	}
	if got := applyCmd(t, s, Append(1, 2, "k", "y")); got.Status != StatusOK {
		t.Errorf("seq 2 after garbage naming seq 2: %s, want OK", got)
	}
	if v, _ := s.Read("k"); v != "xy" {
		t.Errorf("k = %q, want %q", v, "xy")
	}
}

// Executed counts commands that took effect: a retry answered from the
// session table, a stale command and undecodable data do not count.
func TestExecutedCountsOnlyEffects(t *testing.T) {
	s := New()
	steps := []struct {
		data []byte
		want uint64
	}{
		{EncodeCommand(Append(1, 1, "k", "x")), 1},
		{EncodeCommand(Append(1, 1, "k", "x")), 1}, // retry
		{EncodeCommand(Put(2, 5, "k", "y")), 2},
		{EncodeCommand(Put(2, 4, "k", "z")), 2}, // stale
		{[]byte{0xff, 0x00}, 2},                 // garbage
		{EncodeCommand(Get(1, 2, "k")), 3},
	}
	for i, st := range steps {
		s.Apply(raft.Entry{Index: raft.Index(i + 1), Term: 1, Type: raft.EntryNormal, Data: st.data})
		if got := s.Executed(); got != st.want {
			t.Fatalf("after step %d: Executed() = %d, want %d", i+1, got, st.want)
		}
		if c, err := DecodeCommand(st.data); err == nil && i != 1 && i != 3 {
			if gc, gs := s.LastExecuted(); gc != c.Client || gs != c.Seq {
				t.Fatalf("after step %d: LastExecuted() = %d/%d, want %d/%d", i+1, gc, gs, c.Client, c.Seq)
			}
		}
	}
}
