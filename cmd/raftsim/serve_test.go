package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft/localcluster"
	"github.com/raftsim/raftsim/raft/resp"
)

// buildRaftsim builds the binary for tests that run real processes.
func buildRaftsim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "raftsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestServeFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--id", "1", "--data", "d"}, "--peers: missing"},
		{[]string{"serve", "--id", "4", "--peers", "1=:1,2=:2", "--data", "d"}, "--id: 4 is not one of the --peers IDs [1 2]"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1,0=:2", "--data", "d"}, `--peers: item 2 "0=:2"`},
		{[]string{"serve", "--id", "1", "--peers", "1=:1,1=:2", "--data", "d"}, "--peers: item 2: node 1 is listed twice"},
		{[]string{"serve", "--id", "1", "--peers", "1=nohost", "--data", "d"}, `--peers: item 1 "1=nohost"`},
		{[]string{"serve", "--id", "1", "--peers", "1=:1"}, "--data: missing"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--log-level", "loud"}, "--log-level"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1,2=:2", "--voters", "1,3", "--data", "d"}, "--voters: item 2: node 3 is not one of --peers"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1,2=:2", "--voters", "1,x", "--data", "d"}, `--voters: item 2 "x"`},
		{[]string{"serve", "--id", "1", "--peers", "1=:1,2=:2", "--voters", "2,2", "--data", "d"}, "--voters: item 2: node 2 is listed twice"},
		{[]string{"cluster", "--nodes", "12"}, "--nodes: 12, want 1 to 9"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--snapshot-bytes", "64MB"}, `invalid argument "64MB" for "--snapshot-bytes"`},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--snapshot-bytes", "2048GiB"}, "from 0 to 1TiB"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--snapshot-every", "-1"}, "--snapshot-every and --snapshot-keep must not be negative"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--max-bulk-len", "0"}, "--max-bulk-len: 0 is outside [1, 512MiB]"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--max-query-buffer", "2GiB"}, "--max-query-buffer: 2147483648 is outside [1, 1GiB]"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--max-args", "0"}, "--max-args: 0 is outside [1, 1048576]"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--max-clients", "-3"}, "--max-clients: -3 is outside [1, 1048576]"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--max-sessions", "-1"}, "--max-sessions: -1 is outside [0, 10000000]"},
		{[]string{"serve", "--id", "1", "--peers", "1=:1", "--data", "d", "--max-sessions", "0", "--session-idle-entries", "9"}, "--session-idle-entries: needs a bounded session table (--max-sessions above 0)"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := execute(c.args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), c.want) || strings.Contains(stderr.String(), "goroutine") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// Three serve processes: writes survive a clean SIGTERM stop of every
// node and a restart from the same directories.
func TestServeStopsCleanlyAndRestartsFromItsData(t *testing.T) {
	bin := buildRaftsim(t)
	dir := t.TempDir()
	c, err := localcluster.Start(localcluster.Options{Binary: bin, Nodes: 3, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lead, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := resp.Dial(c.Node(lead).ClientAddr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if v, err := cl.Do(ctx, "SET", fmt.Sprint("k", i), fmt.Sprint(i)); err != nil || v.IsError() {
			t.Fatalf("SET: %v %v", v, err)
		}
	}
	cl.Close()
	before, _ := c.Status(ctx, lead)
	if err := c.Close(); err != nil {
		t.Fatalf("SIGTERM stop: %v", err)
	}
	for _, n := range c.Nodes {
		log, _ := os.ReadFile(n.LogFile)
		if n.ExitErr() != nil || !strings.Contains(string(log), fmt.Sprintf("node %d stopped cleanly", n.ID)) {
			t.Fatalf("node %d: exit %v, log:\n%s", n.ID, n.ExitErr(), log)
		}
	}
	c2, err := localcluster.Start(localcluster.Options{Binary: bin, Nodes: 3, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c2.Close() })
	lead, err = c2.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := c2.Status(ctx, lead)
	if bt, _ := strconv.Atoi(before["term"]); func() int { at, _ := strconv.Atoi(after["term"]); return at }() <= bt {
		t.Fatalf("term went from %s to %s across the restart: the stored term was lost", before["term"], after["term"])
	}
	for _, n := range c2.Nodes {
		cl, err := resp.Dial(n.ClientAddr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			v, err := cl.Do(ctx, "GET", fmt.Sprint("k", i))
			if err != nil || v.Str != fmt.Sprint(i) {
				t.Fatalf("node %d after restart: GET k%d = %v %v", n.ID, i, v, err)
			}
		}
		cl.Close()
	}
}

// raftsim cluster: start, write, kill -9 the leader, read from another
// node, see the failover and the restart reported, stop cleanly.
func TestClusterCommand(t *testing.T) {
	bin := buildRaftsim(t)
	cmd := exec.Command(bin, "cluster", "--nodes", "3", "--duration", "12s", "--restart-after", "1s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	var all strings.Builder
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	nodeLine := regexp.MustCompile(`^  node (\d) +pid (\d+) +clients (\S+)`)
	leaderLine := regexp.MustCompile(`leader: node (\d) \(term (\d+)`)
	pids, addrs := map[string]int{}, map[string]string{}
	var leaders []string
	var restarted, stopped bool
	killed := ""
	deadline := time.After(40 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			all.WriteString(l + "\n")
			if m := nodeLine.FindStringSubmatch(l); m != nil {
				pids[m[1]], _ = strconv.Atoi(m[2])
				addrs[m[1]] = m[3]
			}
			if m := leaderLine.FindStringSubmatch(l); m != nil {
				leaders = append(leaders, m[1])
				if killed != "" && len(leaders) == 2 {
					if v := mustDo(t, ctx, addrs[m[1]], "GET", "greeting"); v.Str != "hello" {
						t.Fatalf("after the failover, node %s read %v", m[1], v)
					}
				}
				if killed == "" {
					killed = m[1]
					other := "1"
					if killed == "1" {
						other = "2"
					}
					mustDo(t, ctx, addrs[other], "SET", "greeting", "hello")
					syscall.Kill(pids[killed], syscall.SIGKILL)
				}
			}
			restarted = restarted || strings.Contains(l, "node "+killed+" restarted")
			stopped = stopped || l == "all nodes stopped"
		case <-deadline:
			t.Fatalf("raftsim cluster did not finish:\n%s", all.String())
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("raftsim cluster: %v\n%s", err, all.String())
	}
	if len(leaders) < 2 || leaders[1] == killed || !restarted || !stopped {
		t.Fatalf("leaders %v after killing %s, restarted %v, stopped %v:\n%s", leaders, killed, restarted, stopped, all.String())
	}
}

func mustDo(t *testing.T, ctx context.Context, addr string, args ...string) resp.Value {
	t.Helper()
	for i := 0; i < 100; i++ {
		cl, err := resp.Dial(addr, time.Second)
		if err == nil {
			v, err := cl.Do(ctx, args...)
			cl.Close()
			if err == nil && !v.IsError() {
				return v
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s %v never succeeded", addr, args)
	return resp.Value{}
}

func TestBytesFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		out  string
	}{{"0", 0, "0"}, {"4096", 4096, "4KiB"}, {"100B", 100, "100B"}, {"64MiB", 64 << 20, "64MiB"}, {"1GiB", 1 << 30, "1GiB"}, {"1024GiB", 1 << 40, "1024GiB"}} {
		var n int64
		v := bytesValue{&n}
		if err := v.Set(c.in); err != nil || n != c.want || v.String() != c.out {
			t.Errorf("Set(%q): %d %v, String %q; want %d, %q", c.in, n, err, v.String(), c.want, c.out)
		}
	}
	for _, in := range []string{"", "-1", "1TB", "1.5MiB", "1025GiB", "MiB", "99999999999999999999"} {
		var n int64
		if err := (bytesValue{&n}).Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, n)
		}
	}
}
