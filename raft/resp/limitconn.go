package resp

import (
	"net"
	"time"
)

// limitListener hands the RESP reader connections whose input is held to
// the Limits (limitConn).
type limitListener struct {
	net.Listener
	f *Frontend
}

func (l limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &limitConn{Conn: c, f: l.f, sc: newInputScanner(l.f.lim)}, nil
}

// limitConn passes a client's input to the RESP reader at most
// readChunkBytes at a time and only as far as it is within the limits
// (inputScanner). At the first byte past one it stops: the bytes before
// it are delivered, so the commands they complete are answered first;
// the next read writes the error reply and fails, and the RESP reader
// closes the connection. Reads and the reader's writes happen on one
// goroutine (redcon reads only after flushing its replies), so the error
// reply follows every earlier reply.
type limitConn struct {
	net.Conn
	f  *Frontend
	sc *inputScanner
	// refused is the limit the input went past, once it has.
	refused *limitError
}

// replyTimeout bounds the write of a refusal, so that a client that reads
// nothing cannot hold the goroutine that refuses it, and the discarding
// after it.
const replyTimeout = time.Second

func (c *limitConn) Read(p []byte) (int, error) {
	if c.refused != nil {
		c.refuse()
		return 0, c.refused
	}
	if len(p) > readChunkBytes {
		p = p[:readChunkBytes]
	}
	n, err := c.Conn.Read(p)
	ok, lerr := c.sc.scan(p[:n])
	if lerr == nil {
		return n, err
	}
	c.refused = lerr
	c.f.noteRefused(c.RemoteAddr(), lerr)
	if ok > 0 {
		return ok, nil
	}
	c.refuse()
	return 0, lerr
}

// lingerBytes and replyTimeout bound what a refusal reads and discards
// after its reply.
const lingerBytes = 1 << 20

// refuse writes the error reply of the limit the input went past, ends
// the connection's sending side, and reads and discards what the client
// is still sending, for at most replyTimeout and lingerBytes: a close
// with unread input would reset the connection, and a reset can destroy
// the reply before the client reads it.
func (c *limitConn) refuse() {
	c.Conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	if _, err := c.Conn.Write([]byte("-" + c.refused.reply + "\r\n")); err != nil {
		return
	}
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.Conn.SetReadDeadline(time.Now().Add(replyTimeout))
	var buf [4096]byte
	for n := 0; n < lingerBytes; {
		k, err := c.Conn.Read(buf[:])
		n += k
		if err != nil {
			return
		}
	}
}
