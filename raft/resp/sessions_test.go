package resp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft/kv"
	"github.com/raftsim/raftsim/raft/replica"
)

// On a node with a bounded session table, SESSION REGISTER opens sessions
// (IDs are log indexes), the least recently used is evicted past the
// bound, and a command on an evicted or unregistered session is refused
// SESSIONEXPIRED, never applied; plain commands need no session.
func TestBoundedSessionsOverRESP(t *testing.T) {
	l, err := replica.StartLocal(1, t.TempDir(), func(c *replica.Config) { c.Sessions = kv.SessionLimits{Max: 2} })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	lead, err := l.Leader(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, l.Replicas[lead].ClientAddr())
	ctx := context.Background()
	register := func() int64 {
		t.Helper()
		id, err := c.Do(ctx, "SESSION", "REGISTER").Int64()
		if err != nil || id <= 0 {
			t.Fatalf("SESSION REGISTER = %d, %v", id, err)
		}
		return id
	}
	a, b := register(), register()
	if n, err := c.Do(ctx, "SESSION", a, 1, "APPEND", "k", "[a1]").Int64(); err != nil || n != 4 {
		t.Fatalf("APPEND on a = %d, %v", n, err)
	}
	register() // evicts b, the least recently used
	if err := c.Do(ctx, "SESSION", b, 1, "APPEND", "k", "[b1]").Err(); err == nil || !strings.HasPrefix(err.Error(), "SESSIONEXPIRED ") {
		t.Fatalf("APPEND on the evicted session: %v, want SESSIONEXPIRED", err)
	}
	if err := c.Do(ctx, "SESSION", 424242, 1, "SET", "k", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "SESSIONEXPIRED ") {
		t.Fatalf("SET on an unregistered session: %v, want SESSIONEXPIRED", err)
	}
	if n, err := c.Do(ctx, "SESSION", a, 1, "APPEND", "k", "[a1]").Int64(); err != nil || n != 4 {
		t.Fatalf("the retry on a = %d, %v; want the first answer", n, err)
	}
	if err := c.Append(ctx, "k", "[p]").Err(); err != nil {
		t.Fatalf("a plain APPEND: %v", err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "[a1][p]" {
		t.Fatalf("k = %q, %v; want each applied append once", v, err)
	}
}
