package resp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/redcon"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/server"
)

// Config sets up a Frontend.
type Config struct {
	// Server is the node whose key-value store the clients use.
	Server *server.Server
	// PeerClientAddr returns a node's client address, or "" if unknown
	// (raft/transport learns them in its handshakes).
	PeerClientAddr func(raft.NodeID) string
	// NoForward makes followers answer NOTLEADER instead of forwarding
	// requests to the leader.
	NoForward bool
	// RequestTimeout bounds how long a request waits for its outcome; a
	// write still pending then is answered UNKNOWN. Default 5s.
	RequestTimeout time.Duration
	// Limits bound the connections and what each may send (limits.go).
	Limits Limits
	// Logger receives connection errors. Default: discarded.
	Logger *slog.Logger
}

// Frontend serves the Redis protocol (RESP) on top of a raft/server.
type Frontend struct {
	cfg Config
	lim Limits
	fw  forwarder
	rs  *redcon.Server

	ctx    context.Context
	cancel context.CancelFunc

	mu sync.Mutex
	// conns counts open connections. Invariant: conns >= 0; Close waits
	// for it to reach 0, so no connection goroutine outlives the Frontend.
	conns  int
	zero   *sync.Cond
	closed bool
	// ln is the listener Serve uses; Close closes it, since redcon's own
	// Close does nothing before its accept loop has started.
	ln net.Listener
	// rejected counts connections refused at MaxConns; limitCloses those
	// closed for input past a limit.
	rejected, limitCloses uint64
}

// connState is one client connection's state.
type connState struct {
	// noForward is set by RAFT.NOFORWARD, which forwarding nodes send:
	// such a connection is never forwarded again.
	noForward bool
	quit      bool
}

// New builds a Frontend; Serve runs it.
func New(cfg Config) (*Frontend, error) {
	if cfg.Server == nil {
		return nil, errors.New("resp: config: Server is nil")
	}
	if cfg.PeerClientAddr == nil {
		cfg.PeerClientAddr = func(raft.NodeID) string { return "" }
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	lim, err := cfg.Limits.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("resp: config: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f := &Frontend{cfg: cfg, lim: lim, fw: forwarder{timeout: cfg.RequestTimeout}}
	f.zero = sync.NewCond(&f.mu)
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.rs = redcon.NewServerNetwork("tcp", "", f.handle, f.accept, f.closedConn)
	return f, nil
}

// Serve answers clients on ln until Close.
func (f *Frontend) Serve(ln net.Listener) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ln.Close()
	}
	f.ln = ln
	f.mu.Unlock()
	return f.rs.Serve(limitListener{Listener: ln, f: f})
}

// Close stops accepting, closes every connection, ends the requests in
// flight and waits for every connection's goroutine.
func (f *Frontend) Close() error {
	f.mu.Lock()
	f.closed = true
	ln := f.ln
	f.mu.Unlock()
	f.cancel()
	f.rs.Close()
	if ln != nil {
		ln.Close()
	}
	f.fw.close()
	f.mu.Lock()
	for f.conns > 0 {
		f.zero.Wait()
	}
	f.mu.Unlock()
	return nil
}

func (f *Frontend) accept(conn redcon.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	if f.conns >= f.lim.MaxConns {
		f.rejected++
		f.cfg.Logger.Warn("client connection refused: max clients reached", "remote", conn.RemoteAddr(), "limit", f.lim.MaxConns)
		nc := conn.NetConn()
		nc.SetWriteDeadline(time.Now().Add(replyTimeout))
		nc.Write([]byte("-ERR max number of clients reached\r\n"))
		return false
	}
	f.conns++
	conn.SetContext(&connState{})
	return true
}

func (f *Frontend) closedConn(conn redcon.Conn, err error) {
	if err != nil {
		f.cfg.Logger.Debug("client connection closed", "remote", conn.RemoteAddr(), "err", err)
	}
	f.mu.Lock()
	f.conns--
	if f.conns == 0 {
		f.zero.Broadcast()
	}
	f.mu.Unlock()
}

// noteRefused counts and logs a connection closed for input past a limit.
func (f *Frontend) noteRefused(remote net.Addr, err *limitError) {
	f.mu.Lock()
	f.limitCloses++
	f.mu.Unlock()
	f.cfg.Logger.Warn("client connection closed: input past a limit", "remote", remote, "err", err.reply)
}

// clientCounts returns the open connections, those refused at MaxConns
// and those closed for input past a limit.
func (f *Frontend) clientCounts() (conns int, rejected, limitCloses uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns, f.rejected, f.limitCloses
}

// handle serves a command and every command pipelined behind it: their
// requests go to the node together, so a pipeline shares Readies.
func (f *Frontend) handle(conn redcon.Conn, first redcon.Command) {
	cs := conn.Context().(*connState)
	cmds := append([]redcon.Command{first}, conn.ReadPipeline()...)
	for _, rep := range f.execute(cs, cmds) {
		conn.WriteRaw(rep)
	}
	if cs.quit {
		conn.Close()
	}
}

// request is one command of a pipeline on its way to an answer.
type request struct {
	raw   []byte
	op    op
	reply []byte
}

// execute answers a pipeline in order. Consecutive reads, and
// consecutive writes, run together; a read after a write waits for the
// write (and a write after a read for the read), so each connection sees
// its own commands take effect in order.
func (f *Frontend) execute(cs *connState, cmds []redcon.Command) [][]byte {
	reqs := make([]request, len(cmds))
	for i, c := range cmds {
		args := make([]string, len(c.Args))
		for j, a := range c.Args {
			args[j] = string(a)
		}
		reqs[i].raw = append([]byte(nil), c.Raw...)
		if len(args) == 0 {
			reqs[i].reply = errReply("ERR empty command")
			continue
		}
		o, rep := parseOp(args)
		switch {
		case rep != nil:
			reqs[i].reply = rep
		case o.class == classLocal:
			c, _ := lookup(args)
			reqs[i].reply = c.run(f, cs, args)
		default:
			reqs[i].op = o
		}
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.RequestTimeout)
	defer cancel()
	for start := 0; start < len(reqs); {
		if reqs[start].reply != nil {
			start++
			continue
		}
		end := start + 1
		for end < len(reqs) && reqs[end].reply == nil && reqs[end].op.class == reqs[start].op.class {
			end++
		}
		f.run(ctx, cs, reqs[start:end])
		start = end
	}
	out := make([][]byte, len(reqs))
	for i := range reqs {
		out[i] = reqs[i].reply
	}
	return out
}

// run serves a segment of replicated requests of one class: at this
// node if it leads (or must not forward), else at the leader.
func (f *Frontend) run(ctx context.Context, cs *connState, seg []request) {
	forward := !cs.noForward && !f.cfg.NoForward
	st := f.cfg.Server.Status()
	if forward && st.Role != raft.RoleLeader && st.Leader != raft.None {
		f.forward(st.Leader, seg)
		return
	}
	f.local(ctx, seg)
	if !forward {
		return
	}
	// Requests refused because leadership moved meanwhile go to the new
	// leader, in order, after the ones this node took.
	var again []request
	var idx []int
	for i := range seg {
		if strings.HasPrefix(string(seg[i].reply), "-"+CodeNotLeader+" leader is node") {
			again = append(again, seg[i])
			idx = append(idx, i)
		}
	}
	if len(again) == 0 {
		return
	}
	if lead := f.cfg.Server.Status().Leader; lead != raft.None && lead != st.ID {
		f.forward(lead, again)
		for k, i := range idx {
			seg[i].reply = again[k].reply
		}
	}
}

// local submits the segment to this node, in order, then waits for all.
func (f *Frontend) local(ctx context.Context, seg []request) {
	srv := f.cfg.Server
	if seg[0].op.class == classRead {
		calls := make([]*server.ReadCall, len(seg))
		for i := range seg {
			calls[i] = srv.SubmitRead(seg[i].op.key)
		}
		for i, c := range calls {
			v, found, err := c.Wait(ctx)
			if err != nil {
				seg[i].reply = f.serverError(err)
				continue
			}
			seg[i].reply = seg[i].op.answerRead(v, found)
		}
		return
	}
	calls := make([]*server.Call, len(seg))
	for i := range seg {
		calls[i] = srv.Submit(seg[i].op.cmd)
	}
	for i, c := range calls {
		res, err := c.Wait(ctx)
		if err != nil {
			seg[i].reply = f.serverError(err)
			continue
		}
		seg[i].reply = seg[i].op.answerWrite(res)
	}
}

// forward sends the segment to the leader's client port.
func (f *Frontend) forward(lead raft.NodeID, seg []request) {
	addr := f.cfg.PeerClientAddr(lead)
	if addr == "" {
		for i := range seg {
			seg[i].reply = errReply(fmt.Sprintf("%s leader is node %d, whose address is not known yet", CodeNotLeader, lead))
		}
		return
	}
	raws := make([][]byte, len(seg))
	for i := range seg {
		raws[i] = seg[i].raw
	}
	replies, err := f.fw.forward(addr, raws)
	for i := range seg {
		switch {
		case i < len(replies):
			seg[i].reply = replies[i]
		case len(replies) == 0 && isDialError(err):
			seg[i].reply = errReply(fmt.Sprintf("%s leader is node %d at %s, which did not answer: not forwarded", CodeTryAgain, lead, addr))
		default:
			seg[i].reply = errReply(fmt.Sprintf("%s forwarding to node %d failed: %v", CodeUnknown, lead, err))
		}
	}
}

// isDialError tells a connection that was never made (nothing was sent)
// from one that failed after sending.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
