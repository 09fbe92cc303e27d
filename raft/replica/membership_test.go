package replica

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/resp"
)

// waitFor polls cond every 10 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("not within 10s: %s", what)
}

// do sends one command to node id's client port.
func do(t *testing.T, l *Local, id raft.NodeID, args ...string) resp.Value {
	t.Helper()
	c, err := resp.Dial(l.Replicas[id].ClientAddr(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.Do(ctx, args...)
	if err != nil {
		t.Fatalf("%v at node %d: %v", args, id, err)
	}
	return v
}

// leaderOf waits for a leader among the voters and returns it.
func leaderOf(t *testing.T, l *Local, voters ...raft.NodeID) raft.NodeID {
	t.Helper()
	var lead raft.NodeID
	waitFor(t, "a leader", func() bool {
		for _, id := range voters {
			if r := l.Replicas[id]; r != nil && r.Server().Status().Role == raft.RoleLeader {
				lead = id
				return true
			}
		}
		return false
	})
	return lead
}

// A cluster of three voters and a spare on loopback: the admin commands
// add the spare, hand it the leadership, and remove a node; followers
// and bad requests are refused with the right codes; clients are served
// throughout.
func TestMembershipCommandsOnLoopback(t *testing.T) {
	l, err := StartLocal(4, t.TempDir(), func(c *Config) { c.Voters = []raft.NodeID{1, 2, 3} })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lead := leaderOf(t, l, 1, 2, 3)
	if st := l.Replicas[4].Server().Status(); st.Voter || st.Role == raft.RoleLeader {
		t.Fatalf("the spare votes before it is added: %+v", st.Config)
	}
	// A new leader refuses changes until it commits an entry of its term;
	// a client write shows that it has.
	waitFor(t, "a first write", func() bool { return do(t, l, lead, "SET", "k", "v1").Str == "OK" })

	follower := raft.NodeID(1)
	if follower == lead {
		follower = 2
	}
	if v := do(t, l, follower, "RAFT.ADDVOTER", "4"); v.Code() != resp.CodeNotLeader || !strings.Contains(v.Str, "leader is node") {
		t.Fatalf("RAFT.ADDVOTER at a follower: %v", v)
	}
	for _, bad := range [][]string{{"RAFT.ADDVOTER", "x"}, {"RAFT.ADDVOTER", "0"}, {"RAFT.REMOVE", "9"}, {"RAFT.ADDVOTER", "2"}, {"RAFT.TRANSFER", "9"}} {
		if v := do(t, l, lead, bad...); v.Code() != "ERR" {
			t.Fatalf("%v: %v, want ERR", bad, v)
		}
	}

	v := do(t, l, lead, "RAFT.ADDVOTER", "4")
	if v.IsError() || v.Str != "voters [1 2 3 4]" {
		t.Fatalf("RAFT.ADDVOTER 4: %v", v)
	}
	waitFor(t, "node 4 a voter with the log", func() bool {
		st := l.Replicas[4].Server().Status()
		return st.Voter && st.Applied >= l.Replicas[lead].Server().Status().Commit
	})
	if got := do(t, l, 4, "RAFT.STATUS"); !slices.ContainsFunc(got.Array, func(x resp.Value) bool { return x.Str == "voters [1 2 3 4]" }) {
		t.Fatalf("RAFT.STATUS at node 4: %v", got)
	}

	if v := do(t, l, lead, "RAFT.TRANSFER", "4"); v.Str != "OK" {
		t.Fatalf("RAFT.TRANSFER 4: %v", v)
	}
	waitFor(t, "node 4 leads", func() bool { return l.Replicas[4].Server().Status().Role == raft.RoleLeader })
	waitFor(t, "a write at node 4", func() bool { return do(t, l, 4, "SET", "k", "v2").Str == "OK" })

	rest := slices.DeleteFunc([]raft.NodeID{1, 2, 3, 4}, func(id raft.NodeID) bool { return id == lead })
	if v := do(t, l, 4, "RAFT.REMOVE", fmt.Sprint(lead)); v.Str != fmt.Sprintf("voters %v", rest) {
		t.Fatalf("RAFT.REMOVE %d: %v", lead, v)
	}
	waitFor(t, "the removed node knows", func() bool { return !l.Replicas[lead].Server().Status().Voter })
	if v := do(t, l, 4, "GET", "k"); v.Str != "v2" {
		t.Fatalf("GET at node 4 after the removal: %v", v)
	}
}
