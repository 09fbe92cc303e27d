package checker

import (
	"fmt"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// termOne is a log of last entries, all of term 1.
type termOne struct{ last raft.Index }

func (l termOne) Status() raft.Status {
	return raft.Status{Term: 1, LastIndex: l.last, LastTerm: 1}
}

func (l termOne) Term(i raft.Index) (raft.Term, bool) {
	if i == 0 {
		return 0, true
	}
	return 1, i <= l.last
}

// growLog has every node of ids write and apply entries from+1..to, and
// one node (lag, if not zero) write them but apply none.
func growLog(t *testing.T, iv *Invariants, from, to raft.Index, lag raft.NodeID) {
	t.Helper()
	for i := from + 1; i <= to; i++ {
		e := entry(i, 1, fmt.Sprint("cmd", i))
		for _, id := range ids {
			wantNone(t, iv.ObserveAppend(id, termOne{last: i - 1}, []raft.Entry{e}))
			if id != lag {
				wantNone(t, iv.ObserveApply(id, e, 0, 0))
			}
		}
	}
}

// The facts behind what every node applied are released: a long run
// holds a bounded number, a lagging node holds them back, and the checks
// of what comes after still fire.
func TestInvariantsReleaseWhatEveryNodeApplied(t *testing.T) {
	iv := NewInvariants(ids)
	growLog(t, iv, 0, 5*releaseEvery, 0)
	if held := len(iv.entries) + len(iv.applied); held > 4*releaseEvery || iv.appliedBase == 0 {
		t.Fatalf("after %d entries applied everywhere, %d facts held (released through %d)", 5*releaseEvery, held, iv.appliedBase)
	}
	// What comes after is still checked.
	n := raft.Index(5*releaseEvery + 1)
	wantNone(t, iv.ObserveApply(1, entry(n, 2, "x"), 0, 0))
	wantViolation(t, iv.ObserveApply(2, entry(n, 2, "y"), 0, 0), "state-machine-safety")
	prev := termOne{last: n}
	wantNone(t, iv.ObserveAppend(1, prev, []raft.Entry{entry(n+1, 3, "a")}))
	wantViolation(t, iv.ObserveAppend(2, prev, []raft.Entry{entry(n+1, 3, "b")}), "log-matching")

	// A node that applies nothing holds every fact.
	iv = NewInvariants(ids)
	growLog(t, iv, 0, 3*releaseEvery, 3)
	if iv.appliedBase != 0 || len(iv.applied) != 3*releaseEvery {
		t.Fatalf("with node 3 behind, released through %d and hold %d applied entries", iv.appliedBase, len(iv.applied))
	}
	// It catches up and applies a different entry than the others did.
	e := entry(1, 1, "other")
	wantViolation(t, iv.ObserveApply(3, e, 0, 0), "state-machine-safety")
}
