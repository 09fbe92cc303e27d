package kv

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/raftsim/raftsim/raft"
)

// boundedLog applies commands to a bounded Store at consecutive indexes.
type boundedLog struct {
	t interface {
		Helper()
		Fatal(...any)
		Fatalf(string, ...any)
	}
	s *Store
}

func (l *boundedLog) apply(c Command) Response {
	l.t.Helper()
	e := raft.Entry{Term: 1, Index: l.s.AppliedIndex() + 1, Type: raft.EntryNormal, Data: EncodeCommand(c)}
	r, err := DecodeResponse(l.s.Apply(e))
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

func (l *boundedLog) noop() {
	l.s.Apply(raft.Entry{Term: 1, Index: l.s.AppliedIndex() + 1, Type: raft.EntryNoop})
}

func (l *boundedLog) register() ClientID {
	l.t.Helper()
	r := l.apply(Register())
	id, ok := RegisteredID(r)
	if !ok || raft.Index(id) != l.s.AppliedIndex() {
		l.t.Fatalf("Register at index %d = %s, want the index as the client ID", l.s.AppliedIndex(), r)
	}
	return id
}

// A bounded Store takes commands only on registered sessions; the
// session ID is the registering entry's index.
func TestBoundedSessionsNeedRegistration(t *testing.T) {
	l := &boundedLog{t, NewWithSessions(SessionLimits{Max: 4})}
	if r := l.apply(Put(99, 1, "k", "v")); r.Status != StatusSessionExpired || l.s.Executed() != 0 {
		t.Fatalf("a command on an unregistered client = %s (executed %d), want SessionExpired", r, l.s.Executed())
	}
	id := l.register()
	if r := l.apply(Append(id, 1, "k", "a")); r.Status != StatusOK {
		t.Fatalf("Append = %s", r)
	}
	if r := l.apply(Append(id, 1, "k", "a")); r.Status != StatusOK || l.s.Executed() != 1 {
		t.Fatalf("the retry = %s, executed %d; want OK answered from the session", r, l.s.Executed())
	}
	if v, _ := l.s.Read("k"); v != "a" {
		t.Fatalf("k = %q", v)
	}
}

// A sessionless command (client and seq zero) needs no session, also in a
// bounded Store, and is executed every time it is applied.
func TestSessionlessCommands(t *testing.T) {
	l := &boundedLog{t, NewWithSessions(SessionLimits{Max: 1})}
	for range 2 {
		if r := l.apply(Append(0, 0, "k", "a")); r.Status != StatusOK {
			t.Fatalf("a sessionless Append = %s", r)
		}
	}
	if v, _ := l.s.Read("k"); v != "aa" || l.s.Sessions() != 0 {
		t.Fatalf("k = %q with %d sessions; want both appends and no session", v, l.s.Sessions())
	}
	if err := (Command{Op: OpGet, Client: 0, Seq: 3, Key: "k"}).Validate(); err == nil {
		t.Fatal("client 0 with a sequence number validated")
	}
}

// At Max sessions, a registration evicts the session used least recently;
// a retry on the evicted session is refused, never applied again.
func TestBoundedSessionsEvictTheLeastRecentlyUsed(t *testing.T) {
	l := &boundedLog{t, NewWithSessions(SessionLimits{Max: 2})}
	a, b := l.register(), l.register()
	l.apply(Append(b, 1, "k", "[b1]"))
	l.apply(Append(a, 1, "k", "[a1]")) // a is now the more recent
	c := l.register()
	if l.s.Sessions() != 2 || l.s.SessionsEnded() != 1 {
		t.Fatalf("%d sessions, %d ended; want 2 and 1", l.s.Sessions(), l.s.SessionsEnded())
	}
	executed := l.s.Executed()
	if r := l.apply(Append(b, 1, "k", "[b1]")); r.Status != StatusSessionExpired {
		t.Fatalf("the retry on the evicted session = %s, want SessionExpired", r)
	}
	if r := l.apply(Append(a, 1, "k", "[a1]")); r.Status != StatusOK {
		t.Fatalf("the retry on the kept session = %s, want its first reply", r)
	}
	if r := l.apply(Put(c, 1, "j", "x")); r.Status != StatusOK {
		t.Fatalf("the new session's command = %s", r)
	}
	if v, _ := l.s.Read("k"); v != "[b1][a1]" || l.s.Executed() != executed+1 {
		t.Fatalf("k = %q, executed %d more; want each append once and only c's put executed", v, l.s.Executed()-executed)
	}
}

// A session unused for more than IdleEntries entries expires at its next
// command; one used within them does not.
func TestBoundedSessionsExpireByLogIndex(t *testing.T) {
	l := &boundedLog{t, NewWithSessions(SessionLimits{Max: 10, IdleEntries: 3})}
	a := l.register() // index 1
	b := l.register() // index 2
	l.noop()
	l.noop()
	if r := l.apply(Get(b, 1, "k")); r.Status != StatusNotFound { // index 5: 3 after b's last use
		t.Fatalf("b, 3 entries idle = %s, want served", r)
	}
	if r := l.apply(Get(a, 1, "k")); r.Status != StatusSessionExpired { // index 6: 5 after a's
		t.Fatalf("a, 5 entries idle = %s, want SessionExpired", r)
	}
	if l.s.Sessions() != 1 || l.s.SessionsEnded() != 1 {
		t.Fatalf("%d sessions, %d ended", l.s.Sessions(), l.s.SessionsEnded())
	}
}

// An unbounded Store keeps version 1 snapshots (so existing digests hold);
// a bounded one writes version 2, with each session's last use.
func TestSnapshotVersionFollowsTheSessionLimits(t *testing.T) {
	plain := &boundedLog{t, New()}
	plain.apply(Put(7, 1, "k", "v"))
	if b := plain.s.Snapshot(); string(b[:4]) != snapshotMagic {
		t.Fatalf("an unbounded Store's snapshot starts %q", b[:4])
	}
	bounded := &boundedLog{t, NewWithSessions(SessionLimits{Max: 3})}
	id := bounded.register()
	if b := bounded.s.Snapshot(); string(b[:4]) != snapshotMagicV2 {
		t.Fatalf("a bounded Store's snapshot starts %q", b[:4])
	}
	bounded.apply(Put(id, 1, "k", "v"))
	restored := NewWithSessions(SessionLimits{Max: 3})
	if err := restored.Restore(bounded.s.Snapshot()); err != nil || restored.Digest() != bounded.s.Digest() {
		t.Fatalf("restore: %v, digests equal %v", err, restored.Digest() == bounded.s.Digest())
	}
}

// Replicas stay identical: a bounded Store and one restored from its
// snapshot at any point answer every later command alike and end with
// the same digest, whatever mix of registrations, commands, retries and
// idle entries the log holds; the table never holds more than Max.
func TestBoundedSessionsAreDeterministicAcrossRestore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lim := SessionLimits{Max: rapid.IntRange(1, 4).Draw(t, "max"), IdleEntries: raft.Index(rapid.IntRange(0, 6).Draw(t, "idle"))}
		a := &boundedLog{t, NewWithSessions(lim)}
		var b *boundedLog
		var ids []ClientID
		seqs := map[ClientID]Seq{}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		restoreAt := rapid.IntRange(0, steps).Draw(t, "restore at")
		for i := range steps {
			if i == restoreAt {
				b = &boundedLog{t, NewWithSessions(lim)}
				if err := b.s.Restore(a.s.Snapshot()); err != nil {
					t.Fatal(err)
				}
			}
			var c Command
			switch k := rapid.IntRange(0, 3).Draw(t, "kind"); {
			case k == 0 || len(ids) == 0:
				c = Register()
			case k == 1:
				a.noop()
				if b != nil {
					b.noop()
				}
				continue
			default:
				id := ids[rapid.IntRange(0, len(ids)-1).Draw(t, "client")]
				if rapid.IntRange(0, 2).Draw(t, "retry") > 0 || seqs[id] == 0 {
					seqs[id]++
				}
				c = Append(id, seqs[id], "k", fmt.Sprintf("[%d-%d]", id, seqs[id]))
			}
			ra := a.apply(c)
			if b != nil {
				if rb := b.apply(c); rb != ra {
					t.Fatalf("step %d, %s: %s before the restore's copy, %s after", i, c, ra, rb)
				}
			}
			if id, ok := RegisteredID(ra); ok && c.Op == OpRegister {
				ids = append(ids, id)
			}
			if a.s.Sessions() > lim.Max {
				t.Fatalf("%d sessions, limit %d", a.s.Sessions(), lim.Max)
			}
		}
		if b != nil && a.s.Digest() != b.s.Digest() {
			t.Fatal("digests differ")
		}
	})
}
