package transport

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// peer is the link to one other node: its send queue, its writer and
// its current connection.
type peer struct {
	t     *Transport
	id    raft.NodeID
	addr  string
	queue chan raft.Message

	mu sync.Mutex
	// conn is the connection in use, or nil. Invariant: only the writer
	// writes to it, and only after the handshake that installed it.
	conn       net.Conn
	clientAddr string
}

// install makes c the peer's connection, closing the one it replaces.
func (p *peer) install(c net.Conn, clientAddr string) {
	p.mu.Lock()
	old := p.conn
	p.conn = c
	p.clientAddr = clientAddr
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
	p.t.stats.connects.Add(1)
	p.t.cfg.Logger.Info("peer connected", "peer", p.id, "remote", c.RemoteAddr().String())
}

// drop forgets c if it is still the peer's connection, and closes it.
func (p *peer) drop(c net.Conn, why error) {
	p.mu.Lock()
	current := p.conn == c
	if current {
		p.conn = nil
	}
	p.mu.Unlock()
	c.Close()
	if current {
		p.t.cfg.Logger.Info("peer disconnected", "peer", p.id, "err", why)
	}
}

func (p *peer) current() net.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn
}

// maxBatchMessages bounds the messages of one frame.
const maxBatchMessages = 1024

// writeLoop takes messages off the queue and writes them in frames,
// as many as are waiting (up to the batch limits) per frame.
func (p *peer) writeLoop() {
	defer p.t.wg.Done()
	t := p.t
	batch := make([]raft.Message, 0, maxBatchMessages)
	var buf []byte
	for {
		var m raft.Message
		select {
		case <-t.ctx.Done():
			return
		case m = <-p.queue:
		}
		batch = append(batch[:0], m)
		size := messageBytes(&m)
	more:
		for len(batch) < maxBatchMessages && size < t.cfg.BatchBytes {
			select {
			case m = <-p.queue:
				batch = append(batch, m)
				size += messageBytes(&m)
			default:
				break more
			}
		}
		c := p.current()
		if c == nil {
			t.stats.droppedNoConn.Add(uint64(len(batch)))
			clear(batch)
			continue
		}
		var start int
		buf, start = beginFrame(buf[:0])
		buf = AppendMessages(buf, batch)
		endFrame(buf, start, KindMessages)
		c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
		if _, err := c.Write(buf); err != nil {
			t.stats.droppedWrite.Add(uint64(len(batch)))
			p.drop(c, err)
		} else {
			t.stats.sent.Add(uint64(len(batch)))
		}
		clear(batch)
		if cap(buf) > 4*t.cfg.BatchBytes {
			buf = nil // Do not keep one huge batch's buffer forever.
		}
	}
}

// dialLoop keeps a connection to a peer with a higher ID up: dial,
// handshake, read until the connection fails, back off, again.
func (p *peer) dialLoop() {
	defer p.t.wg.Done()
	t := p.t
	backoff := t.cfg.BackoffMin
	for t.ctx.Err() == nil {
		c, welcome, err := p.dial()
		if err != nil {
			t.cfg.Logger.Debug("dial failed", "peer", p.id, "addr", p.addr, "err", err)
			if !t.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, t.cfg.BackoffMax)
			continue
		}
		backoff = t.cfg.BackoffMin
		p.install(c, welcome.ClientAddr)
		p.readLoop(c)
	}
}

// dial connects and says hello; it returns a tracked connection.
func (p *peer) dial() (net.Conn, Hello, error) {
	t := p.t
	d := net.Dialer{Timeout: t.cfg.DialTimeout}
	c, err := d.DialContext(t.ctx, "tcp", p.addr)
	if err != nil {
		return nil, Hello{}, err
	}
	if !t.track(c) {
		c.Close()
		return nil, Hello{}, net.ErrClosed
	}
	c.SetDeadline(time.Now().Add(t.cfg.DialTimeout))
	hello := AppendFrame(nil, KindHello, AppendHello(nil, Hello{Cluster: t.cfg.ClusterID, From: t.cfg.ID, To: p.id, ClientAddr: t.cfg.ClientAddr}))
	if _, err := c.Write(hello); err != nil {
		t.untrack(c)
		return nil, Hello{}, err
	}
	f, err := ReadFrame(c, maxHandshakeBytes)
	if err != nil {
		t.untrack(c)
		return nil, Hello{}, err
	}
	switch f.Kind {
	case KindWelcome:
		w, err := DecodeHello(f.Payload)
		if err != nil {
			t.untrack(c)
			return nil, Hello{}, err
		}
		c.SetDeadline(time.Time{})
		return c, w, nil
	case KindRefuse:
		t.stats.refused.Add(1)
		t.untrack(c)
		return nil, Hello{}, fmt.Errorf("peer %d refused the connection: %s", p.id, f.Payload)
	}
	t.untrack(c)
	return nil, Hello{}, fmt.Errorf("%w: %s frame in the handshake", ErrFrame, f.Kind)
}

// maxHandshakeBytes bounds a hello, welcome or refusal payload.
const maxHandshakeBytes = 1024

// readLoop reads frames from c and hands their messages to the node
// until c fails or the transport stops.
func (p *peer) readLoop(c net.Conn) {
	t := p.t
	defer t.untrack(c)
	for {
		f, err := ReadFrame(c, t.cfg.MaxPayloadBytes)
		if err == nil && f.Kind != KindMessages {
			err = fmt.Errorf("%w: %s frame after the handshake", ErrFrame, f.Kind)
		}
		var msgs []raft.Message
		if err == nil {
			msgs, err = DecodeMessages(f.Payload)
		}
		if err == nil {
			err = p.checkAddressed(msgs)
		}
		if err != nil {
			if errors.Is(err, ErrFrame) {
				t.stats.badFrames.Add(1)
				t.cfg.Logger.Warn("bad frame from peer", "peer", p.id, "err", err)
			}
			p.drop(c, err)
			return
		}
		if len(msgs) == 0 {
			continue
		}
		t.stats.received.Add(uint64(len(msgs)))
		select {
		case t.recv <- msgs:
		case <-t.ctx.Done():
			p.drop(c, t.ctx.Err())
			return
		}
	}
}

// checkAddressed refuses messages that do not come from this connection's
// peer or are not for this node: a confused or hostile sender.
func (p *peer) checkAddressed(msgs []raft.Message) error {
	for i := range msgs {
		if msgs[i].From != p.id || msgs[i].To != p.t.cfg.ID {
			return fmt.Errorf("%w: message %d->%d on the connection with node %d", ErrFrame, msgs[i].From, msgs[i].To, p.id)
		}
	}
	return nil
}
