package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/localcluster"
	"github.com/raftsim/raftsim/raft/resp"
)

// Three serve processes that compact every 50 entries: a follower killed
// while the others compact past its log catches up by a snapshot sent
// over TCP and stored in its file store; the three data directories then
// hold snapshots whose states agree with each other and with the logs
// after them; and after kill -9 of every node, the restarted cluster
// resumes from snapshot plus log with its data, term and client sessions.
func TestServeCompactsAndCatchesUpBySnapshot(t *testing.T) {
	bin := buildRaftsim(t)
	dir := t.TempDir()
	c, err := localcluster.Start(localcluster.Options{Binary: bin, Nodes: 3, Dir: dir,
		Args: []string{"--snapshot-every", "50", "--snapshot-keep", "10"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	lead, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lag := lead%3 + 1
	if err := c.Signal(lag, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	const writes = 400
	cl := dialNode(t, c, lead)
	// serve bounds its session table by default: a client ID must be
	// registered before it is used.
	if v, err := cl.Do(ctx, "SESSION", "77", "1", "SET", "k", "v"); err != nil || v.Code() != resp.CodeSessionExpired {
		t.Fatalf("a client ID never registered: %v %v, want %s", v, err, resp.CodeSessionExpired)
	}
	reg, err := cl.Do(ctx, "SESSION", "REGISTER")
	if err != nil || reg.Kind != ':' || reg.Int <= 0 {
		t.Fatalf("SESSION REGISTER: %v %v", reg, err)
	}
	session := fmt.Sprint(reg.Int)
	for i := 1; i <= writes; i++ {
		v, err := cl.Do(ctx, "SESSION", session, fmt.Sprint(i), "APPEND", fmt.Sprint("k", i%10), fmt.Sprintf("[%d]", i))
		if err != nil || v.IsError() {
			t.Fatalf("write %d: %v %v", i, v, err)
		}
	}
	cl.Close()
	st := status(t, ctx, c, lead)
	if st["snapshots"] == "0" || atoi(st["first_index"]) < writes-100 {
		t.Fatalf("the leader did not compact: %v", st)
	}
	if err := c.Restart(lag); err != nil {
		t.Fatal(err)
	}
	commit := atoi(st["commit"])
	for {
		s, err := c.Status(ctx, lag)
		if err == nil && atoi(s["applied"]) >= commit {
			if s["restores"] == "0" || atoi(s["snapshot_index"]) == 0 {
				t.Fatalf("node %d caught up without a snapshot: %v", lag, s)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("node %d did not catch up to %d: %v %v", lag, commit, s, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, n := range c.Nodes {
		if err := c.Signal(n.ID, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	// On disk: every node has a snapshot; restored and replayed through
	// kv, the nodes agree at every index, snapshots included.
	ids := []raft.NodeID{1, 2, 3}
	lc, err := checkLogs(ids, []string{filepath.Join(dir, "node1"), filepath.Join(dir, "node2"), filepath.Join(dir, "node3")})
	if err != nil || lc.Violation != nil {
		t.Fatalf("the nodes' snapshots and logs: %+v, %v", lc, err)
	}
	for i, s := range lc.Snapshots {
		if s == 0 {
			t.Fatalf("node %d holds no snapshot: %+v", ids[i], lc)
		}
	}
	for _, n := range c.Nodes {
		if err := c.Restart(n.ID); err != nil {
			t.Fatal(err)
		}
	}
	lead2, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st2 := status(t, ctx, c, lead2); atoi(st2["term"]) <= atoi(st["term"]) || st2["restores"] == "0" {
		t.Fatalf("after kill -9 and restart: %v; before: %v", st2, st)
	}
	cl = dialNode(t, c, lag)
	defer cl.Close()
	for k := 0; k < 10; k++ {
		var want strings.Builder
		for i := 1; i <= writes; i++ {
			if i%10 == k {
				fmt.Fprintf(&want, "[%d]", i)
			}
		}
		if v, err := cl.Do(ctx, "GET", fmt.Sprint("k", k)); err != nil || v.Str != want.String() {
			t.Fatalf("GET k%d after restart = %q, %v; want %q", k, v.Str, err, want.String())
		}
	}
	// The session table survived in the snapshot: the last write's retry
	// is answered, not applied again.
	if v, err := cl.Do(ctx, "SESSION", session, fmt.Sprint(writes), "APPEND", "k0", fmt.Sprintf("[%d]", writes)); err != nil || v.IsError() {
		t.Fatalf("retry after restart: %v %v", v, err)
	}
	if v, _ := cl.Do(ctx, "GET", "k0"); strings.Count(v.Str, fmt.Sprintf("[%d]", writes)) != 1 {
		t.Fatalf("the retry was applied again: k0 = %q", v.Str)
	}
	if v, _ := cl.Do(ctx, "SESSION", session, "3", "APPEND", "k3", "[3]"); v.Code() != resp.CodeStale {
		t.Fatalf("an old sequence number after restart: %v, want %s", v, resp.CodeStale)
	}
}

func dialNode(t *testing.T, c *localcluster.Cluster, id raft.NodeID) *resp.Client {
	t.Helper()
	cl, err := resp.Dial(c.Node(id).ClientAddr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func status(t *testing.T, ctx context.Context, c *localcluster.Cluster, id raft.NodeID) map[string]string {
	t.Helper()
	st, err := c.Status(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
