package localcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/resp"
)

// Options describe a cluster.
type Options struct {
	// Binary is the raftsim executable.
	Binary string
	// Nodes is the cluster size (1 to 9).
	Nodes int
	// Dir holds each node's data (Dir/nodeN) and log (Dir/nodeN.log).
	Dir string
	// ClusterID is passed to every node. Default 1.
	ClusterID uint64
	// PeerAddr, if set, gives the address node `from` dials to reach
	// node `to` (a fault-injecting proxy, say); by default the peer's own
	// listen address.
	PeerAddr func(from, to raft.NodeID, listen string) string
	// Args are extra flags for every `serve`.
	Args []string
	// Grace bounds a SIGTERM stop before SIGKILL. Default 10s.
	Grace time.Duration
}

// Node is one serve process.
type Node struct {
	ID         raft.NodeID
	PeerAddr   string // where it listens for peers
	ClientAddr string // where it serves clients
	DataDir    string
	LogFile    string

	cmd    *exec.Cmd
	exited chan struct{}
	// Invariant: err is set before exited is closed.
	err    error
	paused bool
}

// Cluster is a set of serve processes.
type Cluster struct {
	opts  Options
	Nodes []*Node

	mu     sync.Mutex
	closed bool
}

// Start picks ports and starts every node.
func Start(opts Options) (*Cluster, error) {
	if opts.Nodes < 1 || opts.Nodes > 9 {
		return nil, fmt.Errorf("localcluster: %d nodes, want 1 to 9", opts.Nodes)
	}
	if opts.ClusterID == 0 {
		opts.ClusterID = 1
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	// The ports are free when chosen but not held: a child process binds
	// them later, and in between another process (or an outgoing
	// connection's ephemeral port) may take one. A node that then fails to
	// bind sends the whole cluster to fresh ports.
	var err error
	for attempt := 1; ; attempt++ {
		var c *Cluster
		c, err = startOnce(opts)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == startAttempts {
			return nil, err
		}
	}
}

// startAttempts bounds Start's retries after a port was taken.
const startAttempts = 3

// errPortTaken marks a node that exited because its address was in use.
var errPortTaken = errors.New("address already in use")

func startOnce(opts Options) (*Cluster, error) {
	ports, err := FreePorts(2 * opts.Nodes)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts}
	for i := 1; i <= opts.Nodes; i++ {
		c.Nodes = append(c.Nodes, &Node{
			ID:         raft.NodeID(i),
			PeerAddr:   "127.0.0.1:" + strconv.Itoa(ports[2*(i-1)]),
			ClientAddr: "127.0.0.1:" + strconv.Itoa(ports[2*(i-1)+1]),
			DataDir:    filepath.Join(opts.Dir, fmt.Sprintf("node%d", i)),
			LogFile:    filepath.Join(opts.Dir, fmt.Sprintf("node%d.log", i)),
		})
	}
	for _, n := range c.Nodes {
		if err := c.start(n); err != nil {
			c.Close()
			return nil, err
		}
	}
	for _, n := range c.Nodes {
		if err := n.awaitListening(listenTimeout); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// listenTimeout bounds the wait for a started node to accept connections.
const listenTimeout = 30 * time.Second

// awaitListening waits until the node accepts client connections (a
// replica binds its peer address first, so that one is bound too), or its process exits (an error naming the cause from its log),
// or timeout passes.
func (n *Node) awaitListening(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if !n.Running() {
			log, _ := os.ReadFile(n.LogFile)
			if strings.Contains(string(log), "address already in use") {
				return fmt.Errorf("node %d: %w (log %s)", n.ID, errPortTaken, n.LogFile)
			}
			return fmt.Errorf("node %d exited at start: %v (log %s)", n.ID, n.ExitErr(), n.LogFile)
		}
		if dialable(n.ClientAddr) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %d did not listen on %s within %v (log %s)",
				n.ID, n.ClientAddr, timeout, n.LogFile)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dialable(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// FreePorts returns n distinct loopback ports that were free a moment ago.
func FreePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Node returns node id.
func (c *Cluster) Node(id raft.NodeID) *Node { return c.Nodes[id-1] }

func (c *Cluster) peersFlag(self *Node) string {
	var parts []string
	for _, n := range c.Nodes {
		addr := n.PeerAddr
		if n != self && c.opts.PeerAddr != nil {
			addr = c.opts.PeerAddr(self.ID, n.ID, n.PeerAddr)
		}
		parts = append(parts, fmt.Sprintf("%d=%s", n.ID, addr))
	}
	return strings.Join(parts, ",")
}

func (c *Cluster) start(n *Node) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("localcluster: closed")
	}
	logf, err := os.OpenFile(n.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := append([]string{"serve", "--id", strconv.Itoa(int(n.ID)), "--peers", c.peersFlag(n),
		"--data", n.DataDir, "--client-addr", n.ClientAddr, "--cluster-id", strconv.FormatUint(c.opts.ClusterID, 10)},
		c.opts.Args...)
	cmd := exec.Command(c.opts.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	n.cmd, n.exited, n.err, n.paused = cmd, make(chan struct{}), nil, false
	exited := n.exited
	go func() {
		err := cmd.Wait()
		logf.Close()
		n.err = err
		close(exited)
	}()
	return nil
}

// Running reports whether the node's process is alive (paused counts).
func (n *Node) Running() bool {
	if n.exited == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// Exited is closed when the node's current process has exited.
func (n *Node) Exited() <-chan struct{} { return n.exited }

// ExitErr is the current process's exit error, once Exited is closed.
func (n *Node) ExitErr() error { return n.err }

// Pid is the current process's ID, or 0.
func (n *Node) Pid() int {
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// Signal sends sig to a running node. SIGKILL and SIGTERM wait for the
// exit (SIGTERM up to the grace period, then SIGKILL).
func (c *Cluster) Signal(id raft.NodeID, sig syscall.Signal) error {
	n := c.Node(id)
	if !n.Running() {
		return fmt.Errorf("node %d is not running", id)
	}
	switch sig {
	case syscall.SIGSTOP:
		n.paused = true
	case syscall.SIGCONT:
		n.paused = false
	case syscall.SIGTERM:
		if n.paused {
			n.cmd.Process.Signal(syscall.SIGCONT)
			n.paused = false
		}
	}
	if err := n.cmd.Process.Signal(sig); err != nil {
		return err
	}
	switch sig {
	case syscall.SIGKILL:
		<-n.exited
	case syscall.SIGTERM:
		select {
		case <-n.exited:
		case <-time.After(c.opts.Grace):
			n.cmd.Process.Kill()
			<-n.exited
			return fmt.Errorf("node %d did not stop within %v of SIGTERM; killed", id, c.opts.Grace)
		}
	}
	return nil
}

// Paused reports whether the node was sent SIGSTOP and not SIGCONT.
func (n *Node) Paused() bool { return n.paused }

// Restart starts a node whose process has exited, on the same data and
// addresses.
func (c *Cluster) Restart(id raft.NodeID) error {
	n := c.Node(id)
	if n.Running() {
		return fmt.Errorf("node %d is running", id)
	}
	return c.start(n)
}

// Close stops every node (SIGCONT, SIGTERM, SIGKILL after the grace
// period) and returns the first problem.
func (c *Cluster) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(c.Nodes))
	for i, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Signal(n.ID, syscall.SIGTERM)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Status polls a node's RAFT.STATUS.
func (c *Cluster) Status(ctx context.Context, id raft.NodeID) (map[string]string, error) {
	return resp.Status(ctx, c.Node(id).ClientAddr)
}

// WaitLeader polls the running, unpaused nodes until all that answer
// agree on a leader that says it leads, or ctx ends.
func (c *Cluster) WaitLeader(ctx context.Context) (raft.NodeID, error) {
	for {
		if lead := c.agreedLeader(ctx); lead != raft.None {
			return lead, nil
		}
		select {
		case <-ctx.Done():
			return raft.None, fmt.Errorf("no leader: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *Cluster) agreedLeader(ctx context.Context) raft.NodeID {
	var lead string
	for _, n := range c.Nodes {
		if !n.Running() || n.paused {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		st, err := c.Status(qctx, n.ID)
		cancel()
		if err != nil || st["leader"] == "0" || (lead != "" && st["leader"] != lead) {
			return raft.None
		}
		lead = st["leader"]
	}
	id, err := strconv.ParseUint(lead, 10, 64)
	if err != nil || id == 0 || int(id) > len(c.Nodes) {
		return raft.None
	}
	qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if st, err := c.Status(qctx, raft.NodeID(id)); err != nil || st["role"] != "leader" {
		return raft.None
	}
	return raft.NodeID(id)
}
