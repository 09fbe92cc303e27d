package resp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft/replica"
	"github.com/raftsim/raftsim/raft/resp"
)

// startLimited starts a one-node cluster whose front end has lim, and
// returns its client address.
func startLimited(t *testing.T, lim resp.Limits) string {
	t.Helper()
	l, err := replica.StartLocal(1, t.TempDir(), func(c *replica.Config) { c.Limits = lim })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("stopping the node: %v", err)
		}
	})
	lead, err := l.Leader(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return l.Replicas[lead].ClientAddr()
}

// exchange sends in on a fresh connection and returns everything the
// server sent back until it closed the connection.
func exchange(t *testing.T, addr string, in []byte) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go c.Write(in)
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the replies to %.60q: %v (got %q)", in, err, out)
	}
	return string(out)
}

func respCmd(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func info(t *testing.T, addr string) map[string]string {
	t.Helper()
	st, err := resp.Status(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Input past each limit is answered with an error that names the limit,
// after the replies to the commands before it, and the connection is
// closed; input up to the limit is served.
func TestInputLimitsCloseTheConnection(t *testing.T) {
	addr := startLimited(t, resp.Limits{MaxBulkBytes: 1000, MaxArgs: 8, MaxQueryBytes: 64 << 10})
	val := strings.Repeat("v", 1000)
	cases := []struct {
		name, in, want string
	}{
		{"bulk length", respCmd("PING") + respCmd("SET", "k", val+"v"),
			"+PONG\r\n-ERR Protocol error: an argument of 1001 bytes, limit 1000\r\n"},
		{"lying bulk length", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000000\r\n",
			"-ERR Protocol error: an argument of 2000000000 bytes, limit 1000\r\n"},
		{"arguments", respCmd("SET", "k", val) + "*9\r\n",
			"+OK\r\n-ERR Protocol error: 9 arguments in one command, limit 8\r\n"},
		{"lying argument count", "*1000000000\r\n",
			"-ERR Protocol error: 1000000000 arguments in one command, limit 8\r\n"},
		{"inline words", "PING\r\na b c d e f g h i\r\n",
			"+PONG\r\n-ERR Protocol error: more than 8 words in an inline command\r\n"},
		{"query buffer", "PING\r\n" + strings.Repeat("x", 70<<10),
			"+PONG\r\n-ERR Protocol error: a command of more than 65536 bytes (the query buffer limit)\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := exchange(t, addr, []byte(c.in)); got != c.want {
				t.Fatalf("replies %.200q, want %q then a close", got, c.want)
			}
		})
	}
	// Up to the limits, a connection is served and stays open.
	got := exchange(t, addr, []byte(respCmd("SET", "k", val)+respCmd("GET", "k")+respCmd("QUIT")))
	if want := "+OK\r\n$1000\r\n" + val + "\r\n+OK\r\n"; got != want {
		t.Fatalf("a value at the bulk limit: replies %.80q, want %.80q", got, want)
	}
	if st := info(t, addr); st["input_limit_closes"] != fmt.Sprint(len(cases)) {
		t.Fatalf("INFO input_limit_closes = %q, want %d", st["input_limit_closes"], len(cases))
	}
}

// allocDuring runs send and read on a fresh connection to a node with
// lim, and returns the bytes this process (node and client) allocated
// meanwhile and what read returned.
func allocDuring(t *testing.T, lim resp.Limits, send func(net.Conn), read func(*bufio.Reader) string) (uint64, string) {
	addr := startLimited(t, lim)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	rd := bufio.NewReaderSize(c, 4096)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		send(c)
	}()
	got := read(rd)
	<-sent
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, got
}

// A client that streams one endless command makes the node allocate a
// bounded amount: at a 256 KiB query buffer limit, a command of 1,000
// arguments of 64 KiB (64 MiB offered) is cut off within a few MiB of
// allocation, while limits out of the way let a 4 MiB command in whole
// and allocate more than its size (so the measurement sees buffering
// where there is some).
func TestQueryBufferLimitBoundsAllocation(t *testing.T) {
	arg := []byte(fmt.Sprintf("$%d\r\n%s\r\n", 64<<10, bytes.Repeat([]byte("x"), 64<<10)))
	alloc, reply := allocDuring(t, resp.Limits{MaxQueryBytes: 256 << 10, MaxBulkBytes: 64 << 10},
		func(c net.Conn) {
			c.Write([]byte("*1000\r\n"))
			for range 1000 {
				if _, err := c.Write(arg); err != nil {
					return
				}
			}
		},
		func(rd *bufio.Reader) string { line, _ := rd.ReadString('\n'); return line })
	if want := "-ERR Protocol error: a command of more than 262144 bytes (the query buffer limit)\r\n"; reply != want {
		t.Fatalf("reply %.100q, want %q", reply, want)
	}
	if alloc > 8<<20 {
		t.Fatalf("offering 64 MiB at a 256 KiB limit allocated %d bytes, want < 8 MiB", alloc)
	}
	t.Logf("256 KiB limit: %d bytes allocated while 64 MiB were offered", alloc)

	const size = 4 << 20
	open, reply := allocDuring(t, resp.Limits{MaxQueryBytes: resp.MaxQueryBytesMax, MaxBulkBytes: resp.MaxBulkBytesMax},
		func(c net.Conn) {
			c.Write([]byte(fmt.Sprintf("*2\r\n$4\r\nECHO\r\n$%d\r\n", size)))
			c.Write(bytes.Repeat([]byte("x"), size))
			c.Write([]byte("\r\nPING\r\n"))
		},
		func(rd *bufio.Reader) string {
			head, _ := rd.ReadString('\n')
			if n, err := io.CopyN(io.Discard, rd, size+2); err != nil {
				return fmt.Sprintf("%s and %d bytes: %v", head, n, err)
			}
			pong, _ := rd.ReadString('\n')
			return head + pong
		})
	if want := fmt.Sprintf("$%d\r\n+PONG\r\n", size); reply != want {
		t.Fatalf("limits out of the way: replies %.100q, want %q", reply, want)
	}
	if open < size {
		t.Fatalf("limits out of the way, a %d-byte command allocated only %d bytes: the measurement cannot see buffering", size, open)
	}
	t.Logf("limits out of the way: %d bytes allocated for a %d-byte command", open, size)
}

// One connection past MaxConns gets an error and is closed; once another
// closes, a new one is served. INFO counts both.
func TestMaxClients(t *testing.T) {
	addr := startLimited(t, resp.Limits{MaxConns: 2})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte("PING\r\n"))
		if line, err := bufio.NewReader(c).ReadString('\n'); line != "+PONG\r\n" {
			t.Fatalf("PING on connection %d: %q, %v", len(held)+1, line, err)
		}
		held = append(held, c)
	}
	if got := exchange(t, addr, nil); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("a third connection got %q", got)
	}
	held[0].Close()
	// resp.Status needs a connection of its own: it is served once the
	// node has seen the close.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := resp.Status(context.Background(), addr)
		if err == nil {
			if st["rejected_clients"] == "0" || st["connected_clients"] != "2" {
				t.Fatalf("INFO rejected_clients %q, connected_clients %q; want >= 1 and 2", st["rejected_clients"], st["connected_clients"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
