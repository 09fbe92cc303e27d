package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/transport"
)

// Fault is what happens to the frames of one direction of a link.
type Fault struct {
	// Drop discards every frame.
	Drop bool
	// Delay holds each frame this long before relaying it.
	Delay time.Duration
}

// dir names one direction: frames from From to To.
type dir struct{ from, to raft.NodeID }

// Counts are one direction's frame counters.
type Counts struct {
	Relayed, Dropped uint64
}

type counts struct{ relayed, dropped atomic.Uint64 }

// Proxy relays the links of a cluster.
type Proxy struct {
	mu     sync.Mutex
	faults map[dir]Fault
	counts map[dir]*counts
	lns    []net.Listener
	// conns are the open connections, both sides, so Close can end them.
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New returns a proxy with no links.
func New() *Proxy {
	return &Proxy{faults: map[dir]Fault{}, counts: map[dir]*counts{}, conns: map[net.Conn]struct{}{}}
}

// maxFrameBytes bounds a relayed frame, as the transport bounds it.
const maxFrameBytes = transport.DefaultMaxPayloadBytes

// maxQueued bounds the frames held back by a delay, per connection and
// direction; more are dropped.
const maxQueued = 4096

// AddLink listens on a free loopback port for connections that dialer
// makes to reach peer, relaying them to peerAddr. It returns the address
// to give the dialer.
func (p *Proxy) AddLink(dialer, peer raft.NodeID, peerAddr string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		ln.Close()
		return "", errors.New("faultproxy: closed")
	}
	p.lns = append(p.lns, ln)
	for _, d := range []dir{{dialer, peer}, {peer, dialer}} {
		if p.counts[d] == nil {
			p.counts[d] = &counts{}
		}
	}
	p.wg.Add(1)
	go p.accept(ln, dialer, peer, peerAddr)
	return ln.Addr().String(), nil
}

// SetDirection sets the fault of frames from -> to.
func (p *Proxy) SetDirection(from, to raft.NodeID, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[dir{from, to}] = f
}

// SetLink sets the same fault both ways between a and b.
func (p *Proxy) SetLink(a, b raft.NodeID, f Fault) {
	p.SetDirection(a, b, f)
	p.SetDirection(b, a, f)
}

// HealAll removes every fault.
func (p *Proxy) HealAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.faults)
}

func (p *Proxy) fault(d dir) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults[d]
}

// Counts returns the counters of frames from -> to.
func (p *Proxy) Counts(from, to raft.NodeID) Counts {
	p.mu.Lock()
	c := p.counts[dir{from, to}]
	p.mu.Unlock()
	if c == nil {
		return Counts{}
	}
	return Counts{Relayed: c.relayed.Load(), Dropped: c.dropped.Load()}
}

// Close stops listening, closes every connection and waits for every
// goroutine.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for _, ln := range p.lns {
		ln.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) accept(ln net.Listener, dialer, peer raft.NodeID, peerAddr string) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go p.relay(c, dialer, peer, peerAddr)
	}
}

// relay connects to the peer and pumps frames both ways until either
// side fails; then both connections close.
func (p *Proxy) relay(c net.Conn, dialer, peer raft.NodeID, peerAddr string) {
	defer p.wg.Done()
	up, err := net.DialTimeout("tcp", peerAddr, time.Second)
	if err != nil || !p.track(up) {
		p.untrack(c)
		return
	}
	var once sync.Once
	stop := func() { once.Do(func() { p.untrack(c); p.untrack(up) }) }
	p.wg.Add(2)
	go p.pump(c, up, dir{dialer, peer}, stop)
	go p.pump(up, c, dir{peer, dialer}, stop)
}

type held struct {
	at    time.Time
	frame []byte
}

// pump relays frames from src to dst, applying d's fault to each.
func (p *Proxy) pump(src, dst net.Conn, d dir, stop func()) {
	defer p.wg.Done()
	defer stop()
	cnt := p.counts[d]
	queue := make(chan held, maxQueued)
	done := make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(done)
		for h := range queue {
			if wait := time.Until(h.at); wait > 0 {
				time.Sleep(wait)
			}
			dst.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := dst.Write(h.frame); err != nil {
				stop()
				for range queue { // drain so the reader never blocks
				}
				return
			}
			cnt.relayed.Add(1)
		}
	}()
	defer func() { close(queue); <-done }()
	for {
		f, err := transport.ReadFrame(src, maxFrameBytes)
		if err != nil {
			return
		}
		ft := p.fault(d)
		if ft.Drop {
			cnt.dropped.Add(1)
			continue
		}
		select {
		case queue <- held{at: time.Now().Add(ft.Delay), frame: f.Raw}:
		default:
			cnt.dropped.Add(1)
		}
	}
}

// String describes the proxy's faults, for logs.
func (f Fault) String() string {
	switch {
	case f.Drop:
		return "drop"
	case f.Delay > 0:
		return fmt.Sprintf("delay %v", f.Delay)
	}
	return "ok"
}
