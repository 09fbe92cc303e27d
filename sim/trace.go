package sim

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"strconv"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// TraceKind names a trace event.
type TraceKind uint8

const (
	TraceSend      TraceKind = iota + 1 // a node sent a message
	TraceDeliver                        // a message reached its node
	TraceDrop                           // the network or a dead node dropped a message (Text: why)
	TraceDuplicate                      // the network duplicated a message
	TraceHold                           // a clogged link held a message
	TraceTick                           // a node's tick timer fired (N ticks)
	TraceRole                           // a node changed role (Term, Peer = leader)
	TracePersist                        // a node wrote its Ready (Index = last entry, N entries)
	TraceSync                           // a node's sync completed
	TraceApply                          // a node applied entries up to Index
	TraceCrash                          // a node crashed (Text: how)
	TraceRestart                        // a node restarted
	TracePause                          // a node was paused
	TraceResume                         // a node resumed
	TraceInvoke                         // a client invoked an operation (N = client)
	TraceComplete                       // a client's operation completed (Text = outcome)
	TraceAction                         // a timeline action took effect
	TracePhase                          // a phase began
	TraceViolation                      // a check failed
	TraceCommit                         // a node's commit index rose to Index
	TraceCheck                          // a scenario check's window opened, closed or failed (Text)
	TraceSnapshot                       // a snapshot was made, stored, compacted or restored (Text: which)
	TraceDisk                           // a disk fault hit a node's disk (Text: what, where)
	traceKindLimit
)

var traceKindNames = [...]string{
	TraceSend: "send", TraceDeliver: "deliver", TraceDrop: "drop", TraceDuplicate: "dup",
	TraceHold: "hold", TraceTick: "tick", TraceRole: "role", TracePersist: "persist",
	TraceSync: "sync", TraceApply: "apply", TraceCrash: "crash", TraceRestart: "restart",
	TracePause: "pause", TraceResume: "resume", TraceInvoke: "invoke", TraceComplete: "complete",
	TraceAction: "action", TracePhase: "phase", TraceViolation: "violation",
	TraceCommit: "commit", TraceCheck: "check", TraceSnapshot: "snapshot", TraceDisk: "disk",
}

func (k TraceKind) String() string {
	if k > 0 && k < traceKindLimit {
		return traceKindNames[k]
	}
	return "trace(" + strconv.Itoa(int(k)) + ")"
}

// TraceEvent is one line of the canonical trace. Fields a kind does not
// use are zero and left out of the JSON line.
type TraceEvent struct {
	Seq  uint64
	Time clock.Time
	Kind TraceKind
	Node raft.NodeID
	Peer raft.NodeID
	Msg  raft.MessageType
	// MsgID identifies a message on its send, duplicate, hold, delivery
	// and drop events: the ordinal of its send among the run's messages.
	// Duplicated copies share it.
	MsgID uint64
	Term  raft.Term
	Index raft.Index
	N     uint64
	Text  string
}

// AppendJSON appends the event as one JSON object, keys in a fixed order.
func (e *TraceEvent) AppendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, int64(e.Time), 10)
	b = append(b, `,"ev":"`...)
	b = append(b, e.Kind.String()...)
	b = append(b, '"')
	if e.Node != 0 {
		b = append(b, `,"node":`...)
		b = strconv.AppendUint(b, uint64(e.Node), 10)
	}
	if e.Peer != 0 {
		b = append(b, `,"peer":`...)
		b = strconv.AppendUint(b, uint64(e.Peer), 10)
	}
	if e.Msg != 0 {
		b = append(b, `,"msg":"`...)
		b = append(b, e.Msg.String()...)
		b = append(b, '"')
	}
	if e.MsgID != 0 {
		b = append(b, `,"id":`...)
		b = strconv.AppendUint(b, e.MsgID, 10)
	}
	if e.Term != 0 {
		b = append(b, `,"term":`...)
		b = strconv.AppendUint(b, uint64(e.Term), 10)
	}
	if e.Index != 0 {
		b = append(b, `,"index":`...)
		b = strconv.AppendUint(b, uint64(e.Index), 10)
	}
	if e.N != 0 {
		b = append(b, `,"n":`...)
		b = strconv.AppendUint(b, e.N, 10)
	}
	if e.Text != "" {
		b = append(b, `,"text":`...)
		b = strconv.AppendQuote(b, e.Text)
	}
	return append(b, '}')
}

// traceTailSize is how many recent events a failure report shows.
const traceTailSize = 40

// tracer records the canonical trace: it always feeds every event to a
// SHA-256 digest (the run's fingerprint), keeps the last events for
// failure reports, and writes JSON lines when asked.
type tracer struct {
	seq    uint64
	digest hash.Hash
	// pending collects binary records and feeds the digest in large
	// blocks: one Write per event costs more than the hashing itself.
	pending []byte
	buf     []byte
	out     *bufio.Writer
	tail    [traceTailSize]TraceEvent
}

func newTracer(w io.Writer) *tracer {
	t := &tracer{digest: sha256.New(), buf: make([]byte, 0, 256), pending: make([]byte, 0, tracerBlock+512)}
	if w != nil {
		t.out = bufio.NewWriterSize(w, 1<<16)
	}
	return t
}

func (t *tracer) record(e TraceEvent) {
	t.seq++
	e.Seq = t.seq
	t.tail[t.seq%traceTailSize] = e
	b := appendDigestRecord(t.pending, &e)
	if len(b) >= tracerBlock {
		t.digest.Write(b)
		b = b[:0]
	}
	t.pending = b
	if t.out != nil {
		j := e.AppendJSON(t.buf[:0])
		j = append(j, '\n')
		t.out.Write(j)
		t.buf = j
	}
}

// appendDigestRecord appends what the digest covers of e: a fixed binary
// layout of every field, which is cheaper than hashing the JSON and
// equally exact. Seq is left out: it is the event's position, which the
// order of the records already fixes. (A test changes each field in turn
// and checks the record changes.)
func appendDigestRecord(b []byte, e *TraceEvent) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Time))
	b = append(b, byte(e.Kind), byte(e.Msg))
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Node))
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Peer))
	b = binary.LittleEndian.AppendUint64(b, e.MsgID)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Term))
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Index))
	b = binary.LittleEndian.AppendUint64(b, e.N)
	b = binary.AppendUvarint(b, uint64(len(e.Text)))
	return append(b, e.Text...)
}

// tracerBlock is the size of the blocks fed to the digest.
const tracerBlock = 64 << 10

// tailEvents returns the recorded events still in the tail, oldest first.
func (t *tracer) tailEvents() []TraceEvent {
	var out []TraceEvent
	first := uint64(1)
	if t.seq > traceTailSize {
		first = t.seq - traceTailSize + 1
	}
	for s := first; s <= t.seq; s++ {
		out = append(out, t.tail[s%traceTailSize])
	}
	return out
}

func (t *tracer) finish() (string, error) {
	t.digest.Write(t.pending)
	t.pending = t.pending[:0]
	if t.out != nil {
		if err := t.out.Flush(); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(t.digest.Sum(nil)), nil
}
