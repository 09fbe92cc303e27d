package resp

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// forwarder sends commands, as the bytes the client sent, to the
// leader's client port and reads the replies back as bytes, so a client
// of a follower gets exactly the leader's replies. Connections are
// pooled per address; each starts with RAFT.NOFORWARD so that a node
// that is no longer the leader refuses rather than forwards again.
type forwarder struct {
	timeout time.Duration
	mu      sync.Mutex
	// Invariant: every pooled connection has no reply pending.
	idle   map[string][]*fwdConn
	closed bool
}

type fwdConn struct {
	c net.Conn
	r *bufio.Reader
}

// maxIdlePerAddr bounds the pooled connections per leader.
const maxIdlePerAddr = 64

func (fw *forwarder) get(addr string) (*fwdConn, error) {
	fw.mu.Lock()
	if fw.closed {
		fw.mu.Unlock()
		return nil, net.ErrClosed
	}
	if l := fw.idle[addr]; len(l) > 0 {
		fc := l[len(l)-1]
		fw.idle[addr] = l[:len(l)-1]
		fw.mu.Unlock()
		return fc, nil
	}
	fw.mu.Unlock()
	c, err := net.DialTimeout("tcp", addr, fw.timeout)
	if err != nil {
		return nil, err
	}
	fc := &fwdConn{c: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(fw.timeout))
	if _, err := c.Write([]byte("*1\r\n$14\r\nRAFT.NOFORWARD\r\n")); err != nil {
		c.Close()
		return nil, err
	}
	rep, err := readReply(fc.r, nil, 0)
	if err != nil || string(rep) != "+OK\r\n" {
		c.Close()
		return nil, fmt.Errorf("RAFT.NOFORWARD answered %q: %v", rep, err)
	}
	return fc, nil
}

func (fw *forwarder) put(addr string, fc *fwdConn) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.closed || len(fw.idle[addr]) >= maxIdlePerAddr {
		fc.c.Close()
		return
	}
	if fw.idle == nil {
		fw.idle = map[string][]*fwdConn{}
	}
	fw.idle[addr] = append(fw.idle[addr], fc)
}

func (fw *forwarder) close() {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.closed = true
	for _, l := range fw.idle {
		for _, fc := range l {
			fc.c.Close()
		}
	}
	fw.idle = nil
}

// forward sends raw commands to addr in one write and returns one reply
// per command. It returns an error, with the replies it read, when the
// connection fails; the commands without a reply may or may not have
// taken effect.
func (fw *forwarder) forward(addr string, raws [][]byte) ([][]byte, error) {
	fc, err := fw.get(addr)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, r := range raws {
		out = append(out, r...)
	}
	fc.c.SetDeadline(time.Now().Add(fw.timeout))
	if _, err := fc.c.Write(out); err != nil {
		fc.c.Close()
		return nil, err
	}
	replies := make([][]byte, 0, len(raws))
	for range raws {
		rep, err := readReply(fc.r, nil, 0)
		if err != nil {
			fc.c.Close()
			return replies, err
		}
		replies = append(replies, rep)
	}
	fw.put(addr, fc)
	return replies, nil
}

// Bounds on a reply read from a leader.
const (
	maxReplyLineBytes = 64 << 10
	maxReplyBulkBytes = 64 << 20
	maxReplyDepth     = 8
	maxReplyElements  = 1 << 20
)

var errBadReply = errors.New("resp: bad reply from the leader")

// readReply appends one RESP2 reply, as raw bytes, to dst.
func readReply(r *bufio.Reader, dst []byte, depth int) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return dst, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' || len(line) > maxReplyLineBytes {
		return dst, fmt.Errorf("%w: line %q", errBadReply, line)
	}
	dst = append(dst, line...)
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+', '-', ':':
		return dst, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxReplyBulkBytes {
			return dst, fmt.Errorf("%w: bulk length %q", errBadReply, body)
		}
		if n < 0 {
			return dst, nil
		}
		start := len(dst)
		dst = append(dst, make([]byte, n+2)...)
		if _, err := ioReadFull(r, dst[start:]); err != nil {
			return dst, err
		}
		return dst, nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxReplyElements || depth >= maxReplyDepth {
			return dst, fmt.Errorf("%w: array of %q at depth %d", errBadReply, body, depth)
		}
		for i := 0; i < n; i++ {
			if dst, err = readReply(r, dst, depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%w: type byte %q", errBadReply, line[0])
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
