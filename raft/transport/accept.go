package transport

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// acceptLoop takes connections from peers with lower IDs.
func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	backoff := t.cfg.BackoffMin
	for {
		c, err := t.cfg.Listener.Accept()
		if err != nil {
			if t.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, say: wait rather than spin.
			t.cfg.Logger.Warn("accept failed", "err", err)
			if !t.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, t.cfg.BackoffMax)
			continue
		}
		backoff = t.cfg.BackoffMin
		if !t.track(c) {
			c.Close()
			return
		}
		t.wg.Add(1)
		go t.serveConn(c)
	}
}

// serveConn runs the acceptor's side of the handshake, then reads.
func (t *Transport) serveConn(c net.Conn) {
	defer t.wg.Done()
	c.SetDeadline(time.Now().Add(t.cfg.DialTimeout))
	f, err := ReadFrame(c, maxHandshakeBytes)
	if err != nil {
		t.stats.badFrames.Add(1)
		t.untrack(c)
		return
	}
	p, reason := t.checkHello(f)
	if p == nil {
		t.stats.refused.Add(1)
		t.cfg.Logger.Warn("refused a connection", "remote", c.RemoteAddr().String(), "reason", reason)
		c.Write(AppendFrame(nil, KindRefuse, []byte(reason)))
		t.untrack(c)
		return
	}
	welcome := AppendFrame(nil, KindWelcome, AppendHello(nil, Hello{Cluster: t.cfg.ClusterID, From: t.cfg.ID, To: p.id, ClientAddr: t.cfg.ClientAddr}))
	if _, err := c.Write(welcome); err != nil {
		t.untrack(c)
		return
	}
	c.SetDeadline(time.Time{})
	h, _ := DecodeHello(f.Payload)
	p.install(c, h.ClientAddr)
	p.readLoop(c)
}

// checkHello returns the peer a hello comes from, or why it is refused.
func (t *Transport) checkHello(f Frame) (*peer, string) {
	if f.Kind != KindHello {
		return nil, fmt.Sprintf("expected a hello, got a %s frame", f.Kind)
	}
	h, err := DecodeHello(f.Payload)
	if err != nil {
		return nil, err.Error()
	}
	if h.Cluster != t.cfg.ClusterID {
		return nil, fmt.Sprintf("cluster %d, this is cluster %d", h.Cluster, t.cfg.ClusterID)
	}
	if h.To != t.cfg.ID {
		return nil, fmt.Sprintf("addressed to node %d, this is node %d", h.To, t.cfg.ID)
	}
	p := t.peers[h.From]
	if p == nil {
		return nil, fmt.Sprintf("node %d is not a member", h.From)
	}
	if h.From > t.cfg.ID {
		return nil, fmt.Sprintf("node %d must wait for node %d to dial it", h.From, t.cfg.ID)
	}
	return p, ""
}
