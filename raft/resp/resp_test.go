package resp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/replica"
	"github.com/raftsim/raftsim/raft/resp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startCluster(t *testing.T, tweak func(*replica.Config)) (*replica.Local, raft.NodeID) {
	t.Helper()
	l, err := replica.StartLocal(3, t.TempDir(), tweak)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	lead, err := l.Leader(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return l, lead
}

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DisableIdentity: true,
		DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 2 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

func follower(l *replica.Local, lead raft.NodeID) raft.NodeID {
	for _, id := range l.IDs {
		if id != lead {
			return id
		}
	}
	return raft.None
}

// waitLeaderKnown waits until node id knows the leader's client address.
func waitLeaderKnown(t *testing.T, l *replica.Local, id raft.NodeID) {
	t.Helper()
	c := client(t, l.Replicas[id].ClientAddr())
	for i := 0; i < 500; i++ {
		st, err := c.Do(context.Background(), "RAFT.STATUS").StringSlice()
		if err == nil {
			for j := 0; j+1 < len(st); j += 2 {
				if st[j] == "leader_addr" && st[j+1] != "" {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("node %d never learned the leader's address", id)
}

func TestCommandsOnLeaderAndFollower(t *testing.T) {
	l, lead := startCluster(t, nil)
	fol := follower(l, lead)
	waitLeaderKnown(t, l, fol)
	ctx := context.Background()
	for _, id := range []raft.NodeID{lead, fol} {
		t.Run(fmt.Sprintf("node%d", id), func(t *testing.T) {
			c := client(t, l.Replicas[id].ClientAddr())
			k := fmt.Sprintf("k%d", id)
			if v, err := c.Ping(ctx).Result(); err != nil || v != "PONG" {
				t.Fatalf("PING = %q, %v", v, err)
			}
			if err := c.Get(ctx, k).Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET of a missing key: %v, want nil", err)
			}
			if v, err := c.Set(ctx, k, "v1", 0).Result(); err != nil || v != "OK" {
				t.Fatalf("SET = %q, %v", v, err)
			}
			if v, err := c.Get(ctx, k).Result(); err != nil || v != "v1" {
				t.Fatalf("GET = %q, %v", v, err)
			}
			if n, err := c.Append(ctx, k, "23").Result(); err != nil || n != 4 {
				t.Fatalf("APPEND = %d, %v", n, err)
			}
			if n, err := c.Do(ctx, "CAS", k, "nope", "x").Int(); err != nil || n != 0 {
				t.Fatalf("CAS with a wrong expected value = %d, %v", n, err)
			}
			if n, err := c.Do(ctx, "CAS", k, "v123", "x").Int(); err != nil || n != 1 {
				t.Fatalf("CAS = %d, %v", n, err)
			}
			if v, _ := c.Get(ctx, k).Result(); v != "x" {
				t.Fatalf("after CAS, GET = %q", v)
			}
			if n, err := c.Del(ctx, k).Result(); err != nil || n != 1 {
				t.Fatalf("DEL of an existing key = %d, %v", n, err)
			}
			if n, err := c.Del(ctx, k).Result(); err != nil || n != 0 {
				t.Fatalf("DEL of a missing key = %d, %v", n, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	l, lead := startCluster(t, nil)
	c := client(t, l.Replicas[lead].ClientAddr())
	ctx := context.Background()
	cases := []struct {
		args []any
		want string
	}{
		{[]any{"FLUSHALL"}, "ERR unknown command 'FLUSHALL'"},
		{[]any{"GET"}, "ERR wrong number of arguments for 'get' command"},
		{[]any{"SET", "k"}, "ERR wrong number of arguments for 'set' command"},
		{[]any{"SET", "k", "v", "EX", "10"}, "ERR wrong number of arguments for 'set' command"},
		{[]any{"CAS", "k", "a"}, "ERR wrong number of arguments for 'cas' command"},
		{[]any{"SESSION", "0", "1", "SET", "k", "v"}, "ERR SESSION client ID"},
		{[]any{"SESSION", "1", "0", "SET", "k", "v"}, "ERR SESSION sequence number"},
		{[]any{"SESSION", "1", "1", "PING"}, "ERR SESSION wraps"},
		{[]any{"SET", strings.Repeat("k", 5000), "v"}, "ERR"},
	}
	for _, tc := range cases {
		err := c.Do(ctx, tc.args...).Err()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want prefix %q", tc.args, err, tc.want)
		}
	}
	// The connection still works after errors.
	if err := c.Set(ctx, "ok", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestSessionFormAppliesRetriesOnce(t *testing.T) {
	l, lead := startCluster(t, nil)
	fol := follower(l, lead)
	waitLeaderKnown(t, l, fol)
	ctx := context.Background()
	c := client(t, l.Replicas[fol].ClientAddr())
	for i := 0; i < 3; i++ {
		n, err := c.Do(ctx, "SESSION", "77", "1", "APPEND", "log", "a").Int()
		if err != nil || n != 1 {
			t.Fatalf("try %d of SESSION 77 1 APPEND = %d, %v", i, n, err)
		}
	}
	if n, err := c.Do(ctx, "SESSION", "77", "2", "APPEND", "log", "b").Int(); err != nil || n != 2 {
		t.Fatalf("SESSION 77 2 APPEND = %d, %v", n, err)
	}
	if err := c.Do(ctx, "SESSION", "77", "1", "APPEND", "log", "a").Err(); err == nil || !strings.HasPrefix(err.Error(), "STALE") {
		t.Fatalf("an old retry: %v, want STALE", err)
	}
	if v, _ := c.Get(ctx, "log").Result(); v != "ab" {
		t.Fatalf("log = %q after retries, want \"ab\"", v)
	}
	if v, err := c.Do(ctx, "SESSION", "77", "3", "GET", "log").Text(); err != nil || v != "ab" {
		t.Fatalf("SESSION GET = %q, %v", v, err)
	}
}

// A pipeline's commands take effect in order, reads seeing earlier writes.
func TestPipelineKeepsOrder(t *testing.T) {
	l, lead := startCluster(t, nil)
	fol := follower(l, lead)
	waitLeaderKnown(t, l, fol)
	ctx := context.Background()
	for _, id := range []raft.NodeID{lead, fol} {
		c := client(t, l.Replicas[id].ClientAddr())
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < 20; i++ {
				p.Set(ctx, "p", fmt.Sprint(i), 0)
				p.Set(ctx, "p", fmt.Sprint(i+100), 0)
				p.Get(ctx, "p")
				p.Append(ctx, "q", "x")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("node %d: pipeline: %v", id, err)
		}
		for i := 0; i < 20; i++ {
			if v := cmds[4*i+2].(*redis.StringCmd).Val(); v != fmt.Sprint(i+100) {
				t.Fatalf("node %d: GET %d in the pipeline read %q, want %d", id, i, v, i+100)
			}
		}
	}
}

func TestNoForwardRefusesOnFollower(t *testing.T) {
	l, lead := startCluster(t, func(c *replica.Config) { c.NoForward = true })
	fol := follower(l, lead)
	c := client(t, l.Replicas[fol].ClientAddr())
	err := c.Set(context.Background(), "k", "v", 0).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "NOTLEADER") {
		t.Fatalf("SET on a follower without forwarding: %v, want NOTLEADER", err)
	}
}

func TestInfoAndStatus(t *testing.T) {
	l, lead := startCluster(t, nil)
	ctx := context.Background()
	c := client(t, l.Replicas[lead].ClientAddr())
	info, err := c.Info(ctx, "raft").Result()
	if err != nil || !strings.Contains(info, "role:leader") || !strings.Contains(info, fmt.Sprintf("leader:%d", lead)) {
		t.Fatalf("INFO raft = %q, %v", info, err)
	}
	st, err := c.Do(ctx, "RAFT.STATUS").StringSlice()
	if err != nil || len(st) < 4 || st[0] != "node" || st[2] != "role" || st[3] != "leader" {
		t.Fatalf("RAFT.STATUS = %q, %v", st, err)
	}
}

// The cluster keeps its data across a clean stop and restart of every node.
func TestRestartKeepsData(t *testing.T) {
	l, lead := startCluster(t, nil)
	ctx := context.Background()
	c := client(t, l.Replicas[lead].ClientAddr())
	for i := 0; i < 10; i++ {
		if err := c.Set(ctx, fmt.Sprint("key", i), fmt.Sprint(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range l.IDs {
		if err := l.Stop(id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range l.IDs {
		if err := l.Restart(id); err != nil {
			t.Fatal(err)
		}
	}
	lead, err := l.Leader(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c2 := client(t, l.Replicas[lead].ClientAddr())
	for i := 0; i < 10; i++ {
		if v, err := c2.Get(ctx, fmt.Sprint("key", i)).Result(); err != nil || v != fmt.Sprint(i) {
			t.Fatalf("after restart key%d = %q, %v", i, v, err)
		}
	}
}

// requireTool finds a command-line tool; in CI a missing one fails.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("RAFTSIM_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is not installed (.ci/run installs redis-tools with `make ci-tools`)", name)
		}
		t.Skipf("%s is not installed; `make redis-tools` installs it", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestRedisCLI(t *testing.T) {
	cli := requireTool(t, "redis-cli")
	l, lead := startCluster(t, nil)
	fol := follower(l, lead)
	waitLeaderKnown(t, l, fol)
	port := func(id raft.NodeID) string {
		a := l.Replicas[id].ClientAddr()
		return a[strings.LastIndex(a, ":")+1:]
	}
	if out := run(t, cli, "-p", port(fol), "SET", "greeting", "hello"); strings.TrimSpace(out) != "OK" {
		t.Fatalf("redis-cli SET on a follower: %q", out)
	}
	if out := run(t, cli, "-p", port(lead), "GET", "greeting"); strings.TrimSpace(out) != "hello" {
		t.Fatalf("redis-cli GET: %q", out)
	}
	if out := run(t, cli, "-p", port(lead), "NOSUCH", "x"); !strings.Contains(out, "ERR unknown command 'NOSUCH'") {
		t.Fatalf("redis-cli unknown command: %q", out)
	}
	if out := run(t, cli, "-p", port(lead), "INFO", "raft"); !strings.Contains(out, "role:leader") {
		t.Fatalf("redis-cli INFO raft: %q", out)
	}
}

func TestRedisBenchmark(t *testing.T) {
	bench := requireTool(t, "redis-benchmark")
	l, lead := startCluster(t, nil)
	fol := follower(l, lead)
	waitLeaderKnown(t, l, fol)
	for _, id := range []raft.NodeID{lead, fol} {
		a := l.Replicas[id].ClientAddr()
		out := run(t, bench, "-p", a[strings.LastIndex(a, ":")+1:], "-t", "set,get", "-n", "2000", "-c", "10", "-P", "4", "-d", "100", "-q")
		if !strings.Contains(out, "SET:") || !strings.Contains(out, "GET:") || strings.Contains(out, "ERR") {
			t.Fatalf("redis-benchmark against node %d:\n%s", id, out)
		}
	}
}

func TestClient(t *testing.T) {
	l, lead := startCluster(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := resp.Dial(l.Replicas[lead].ClientAddr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		args []string
		want resp.Value
	}{
		{[]string{"SET", "a", "b"}, resp.Value{Kind: '+', Str: "OK"}},
		{[]string{"GET", "a"}, resp.Value{Kind: '$', Str: "b"}},
		{[]string{"GET", "zz"}, resp.Value{Kind: '$', Null: true}},
		{[]string{"APPEND", "a", "cd"}, resp.Value{Kind: ':', Int: 3}},
		{[]string{"BOGUS"}, resp.Value{Kind: '-', Str: "ERR unknown command 'BOGUS', with args beginning with: "}},
	} {
		v, err := c.Do(ctx, tc.args...)
		if err != nil || v.Kind != tc.want.Kind || v.Str != tc.want.Str || v.Int != tc.want.Int || v.Null != tc.want.Null {
			t.Fatalf("%v = %+v, %v; want %+v", tc.args, v, err, tc.want)
		}
	}
	st, err := resp.Status(ctx, l.Replicas[lead].ClientAddr())
	if err != nil || st["role"] != "leader" {
		t.Fatalf("Status = %v, %v", st, err)
	}
}
