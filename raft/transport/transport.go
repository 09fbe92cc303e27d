package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// Config sets up a Transport. Zero durations and sizes take the defaults
// documented on each field.
type Config struct {
	// ClusterID names the cluster; a hello from another cluster is refused.
	ClusterID uint64
	// ID is this node. Must not be raft.None.
	ID raft.NodeID
	// Listener accepts the peers' connections. The transport closes it.
	Listener net.Listener
	// Peers maps every other node to its peer address.
	Peers map[raft.NodeID]string
	// ClientAddr is this node's client address, told to every peer.
	ClientAddr string

	// QueueMessages bounds each peer's send queue. When it is full, Send
	// drops the message (Raft recovers from loss). Default 4096.
	QueueMessages int
	// RecvBatches bounds the received batches waiting for the node.
	// Default 1024.
	RecvBatches int
	// MaxPayloadBytes bounds a frame read or written.
	// Default DefaultMaxPayloadBytes.
	MaxPayloadBytes int
	// BatchBytes bounds the messages written as one frame (a single
	// larger message goes alone). Default 1 MiB.
	BatchBytes int
	// DialTimeout bounds a connection attempt and its handshake. Default 1s.
	DialTimeout time.Duration
	// BackoffMin and BackoffMax bound the wait between connection
	// attempts, doubled after each failure. Defaults 20ms and 500ms.
	BackoffMin, BackoffMax time.Duration
	// WriteTimeout bounds one frame's write; a peer slower than that is
	// disconnected. Default 2s.
	WriteTimeout time.Duration
	// Logger receives connection events. Default: discarded.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.ID == raft.None {
		return errors.New("transport: config: ID must not be 0")
	}
	if c.Listener == nil {
		return errors.New("transport: config: Listener is nil")
	}
	for id, addr := range c.Peers {
		if id == raft.None || id == c.ID {
			return fmt.Errorf("transport: config: peer ID %d is not another node", id)
		}
		if addr == "" {
			return fmt.Errorf("transport: config: peer %d has no address", id)
		}
	}
	setDefault(&c.QueueMessages, 4096)
	setDefault(&c.RecvBatches, 1024)
	setDefault(&c.MaxPayloadBytes, DefaultMaxPayloadBytes)
	setDefault(&c.BatchBytes, 1<<20)
	setDefault(&c.DialTimeout, time.Second)
	setDefault(&c.BackoffMin, 20*time.Millisecond)
	setDefault(&c.BackoffMax, 500*time.Millisecond)
	setDefault(&c.WriteTimeout, 2*time.Second)
	if c.BackoffMax < c.BackoffMin {
		return fmt.Errorf("transport: config: BackoffMax %v is below BackoffMin %v", c.BackoffMax, c.BackoffMin)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Stats counts what the transport did. Every message handed to Send is
// either Sent or in one of the Dropped counts (or still queued).
type Stats struct {
	Sent, Received uint64
	// DroppedFull: the peer's queue was full. DroppedNoConn: no connection
	// to the peer when the message's turn came. DroppedWrite: the write of
	// its frame failed. DroppedUnknown: addressed to no known peer.
	DroppedFull, DroppedNoConn, DroppedWrite, DroppedUnknown uint64
	// Connects counts connections established, either way; Refused counts
	// handshakes refused (by us or the peer); BadFrames counts
	// connections closed on an undecodable frame or a misaddressed message.
	Connects, Refused, BadFrames uint64
}

type counters struct {
	sent, received, droppedFull, droppedNoConn, droppedWrite, droppedUnknown atomic.Uint64
	connects, refused, badFrames                                             atomic.Uint64
}

// Transport carries raft messages between this node and its peers over
// TCP: one connection per pair of nodes, dialed by the node with the
// lower ID and used both ways.
type Transport struct {
	cfg   Config
	peers map[raft.NodeID]*peer
	recv  chan []raft.Message
	stats counters

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex
	// open holds every connection not yet closed, so Close can end them
	// all, handshakes included.
	open   map[net.Conn]struct{}
	closed bool
}

// New checks cfg and builds a Transport; Start sets it going.
func New(cfg Config) (*Transport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Transport{
		cfg:   cfg,
		peers: make(map[raft.NodeID]*peer, len(cfg.Peers)),
		recv:  make(chan []raft.Message, cfg.RecvBatches),
		open:  make(map[net.Conn]struct{}),
	}
	for id, addr := range cfg.Peers {
		t.peers[id] = &peer{t: t, id: id, addr: addr, queue: make(chan raft.Message, cfg.QueueMessages)}
	}
	return t, nil
}

// Start launches the transport's goroutines: the accept loop, and per
// peer a writer and (towards peers with a higher ID) a dialer. They run
// until ctx is done or Close is called.
func (t *Transport) Start(ctx context.Context) {
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.wg.Add(1)
	go t.acceptLoop()
	for _, id := range t.peerIDs() {
		p := t.peers[id]
		t.wg.Add(1)
		go p.writeLoop()
		if t.cfg.ID < id {
			t.wg.Add(1)
			go p.dialLoop()
		}
	}
	// Closing the listener and the connections is what unblocks Accept
	// and Read when the context ends.
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		<-t.ctx.Done()
		t.closeAll()
	}()
}

// Close stops every goroutine, closes every connection and the listener,
// and waits for all of them.
func (t *Transport) Close() error {
	if t.cancel != nil {
		t.cancel()
	} else {
		t.closeAll()
	}
	t.wg.Wait()
	return nil
}

func (t *Transport) closeAll() {
	t.mu.Lock()
	t.closed = true
	conns := make([]net.Conn, 0, len(t.open))
	for c := range t.open {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	t.cfg.Listener.Close()
	for _, c := range conns {
		c.Close()
	}
}

// track registers c so that Close ends it; false if closing already.
func (t *Transport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.open[c] = struct{}{}
	return true
}

func (t *Transport) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.open, c)
	t.mu.Unlock()
	c.Close()
}

// peerIDs returns the peers in ID order.
func (t *Transport) peerIDs() []raft.NodeID {
	ids := make([]raft.NodeID, 0, len(t.peers))
	for id := range t.peers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Send queues msgs for their peers and returns at once. A message whose
// peer's queue is full is dropped and counted: the node must never wait
// for a slow or dead peer, and Raft retransmits what matters.
func (t *Transport) Send(msgs []raft.Message) {
	for i := range msgs {
		p := t.peers[msgs[i].To]
		if p == nil {
			t.stats.droppedUnknown.Add(1)
			continue
		}
		select {
		case p.queue <- msgs[i]:
		default:
			t.stats.droppedFull.Add(1)
		}
	}
}

// Recv delivers batches of messages from peers, each checked to come
// from the peer of its connection and to be addressed to this node.
func (t *Transport) Recv() <-chan []raft.Message { return t.recv }

// ClientAddr returns the client address a peer announced, or "" if it
// has not connected yet.
func (t *Transport) ClientAddr(id raft.NodeID) string {
	p := t.peers[id]
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.clientAddr
}

// Connected reports whether a connection to the peer is up.
func (t *Transport) Connected(id raft.NodeID) bool {
	p := t.peers[id]
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn != nil
}

// Stats returns the counters.
func (t *Transport) Stats() Stats {
	s := &t.stats
	return Stats{
		Sent: s.sent.Load(), Received: s.received.Load(),
		DroppedFull: s.droppedFull.Load(), DroppedNoConn: s.droppedNoConn.Load(),
		DroppedWrite: s.droppedWrite.Load(), DroppedUnknown: s.droppedUnknown.Load(),
		Connects: s.connects.Load(), Refused: s.refused.Load(), BadFrames: s.badFrames.Load(),
	}
}

// sleep waits d or until the transport stops; false if it stopped.
func (t *Transport) sleep(d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-t.ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
