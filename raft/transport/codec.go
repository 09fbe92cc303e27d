package transport

import (
	"encoding/binary"
	"fmt"

	"github.com/raftsim/raftsim/raft"
)

// A messages payload is a count then the messages, every integer an
// unsigned varint:
//
//	count
//	per message: type(1 byte) from to term logTerm index commit
//	             reject(1 byte, 0 or 1) rejectHint context nentries
//	             entries... snapshot(1 byte, 0 or 1) [chunk]
//	per entry:   term index type(1 byte) length data
//	chunk:       index term voters learners votersOutgoing learnersNext
//	             autoLeave(1 byte, 0 or 1) offset total length data
//	             (each ID list a count then the IDs)
//
// Decoding checks each count against the bytes left (a message takes at
// least minMessageBytes, an entry minEntryBytes), so a payload of n bytes
// never makes the decoder allocate more than a small multiple of n.
const (
	minMessageBytes = 12
	minEntryBytes   = 4
)

// AppendMessages appends the payload of a messages frame holding msgs.
func AppendMessages(dst []byte, msgs []raft.Message) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(msgs)))
	for i := range msgs {
		dst = appendMessage(dst, &msgs[i])
	}
	return dst
}

func appendMessage(dst []byte, m *raft.Message) []byte {
	dst = append(dst, byte(m.Type))
	for _, v := range [...]uint64{uint64(m.From), uint64(m.To), uint64(m.Term), uint64(m.LogTerm), uint64(m.Index), uint64(m.Commit)} {
		dst = binary.AppendUvarint(dst, v)
	}
	reject := byte(0)
	if m.Reject {
		reject = 1
	}
	dst = append(dst, reject)
	dst = binary.AppendUvarint(dst, uint64(m.RejectHint))
	dst = binary.AppendUvarint(dst, m.Context)
	dst = binary.AppendUvarint(dst, uint64(len(m.Entries)))
	for i := range m.Entries {
		e := &m.Entries[i]
		dst = binary.AppendUvarint(dst, uint64(e.Term))
		dst = binary.AppendUvarint(dst, uint64(e.Index))
		dst = append(dst, byte(e.Type))
		dst = binary.AppendUvarint(dst, uint64(len(e.Data)))
		dst = append(dst, e.Data...)
	}
	if m.Snapshot == nil {
		return append(dst, 0)
	}
	return appendChunk(append(dst, 1), m.Snapshot)
}

func appendChunk(dst []byte, c *raft.SnapshotChunk) []byte {
	dst = binary.AppendUvarint(dst, uint64(c.Meta.Index))
	dst = binary.AppendUvarint(dst, uint64(c.Meta.Term))
	cs := &c.Meta.ConfState
	for _, ids := range [...][]raft.NodeID{cs.Voters, cs.Learners, cs.VotersOutgoing, cs.LearnersNext} {
		dst = binary.AppendUvarint(dst, uint64(len(ids)))
		for _, id := range ids {
			dst = binary.AppendUvarint(dst, uint64(id))
		}
	}
	autoLeave := byte(0)
	if cs.AutoLeave {
		autoLeave = 1
	}
	dst = append(dst, autoLeave)
	dst = binary.AppendUvarint(dst, c.Offset)
	dst = binary.AppendUvarint(dst, c.Total)
	dst = binary.AppendUvarint(dst, uint64(len(c.Data)))
	return append(dst, c.Data...)
}

// messageBytes is an upper bound of appendMessage's output for m, used to
// cut batches before a frame grows past its limit.
func messageBytes(m *raft.Message) int {
	n := 1 + 9*9 + 2
	for i := range m.Entries {
		n += 3*10 + 1 + len(m.Entries[i].Data)
	}
	if c := m.Snapshot; c != nil {
		cs := &c.Meta.ConfState
		ids := len(cs.Voters) + len(cs.Learners) + len(cs.VotersOutgoing) + len(cs.LearnersNext)
		n += 10*(9+ids) + 1 + len(c.Data)
	}
	return n
}

// DecodeMessages parses a messages payload. Entry data aliases p. It
// accepts exactly what AppendMessages produces (for messages of valid
// types) and never panics.
func DecodeMessages(p []byte) ([]raft.Message, error) {
	d := decoder{buf: p}
	count := d.count("message count", minMessageBytes)
	if d.err != nil {
		return nil, d.err
	}
	msgs := make([]raft.Message, 0, count)
	for i := uint64(0); i < count; i++ {
		m := d.message()
		if d.err != nil {
			return nil, fmt.Errorf("message %d: %w", i, d.err)
		}
		msgs = append(msgs, m)
	}
	if d.off != len(d.buf) {
		return nil, fmt.Errorf("%w: %d bytes after the last message", ErrFrame, len(d.buf)-d.off)
	}
	return msgs, nil
}

// decoder reads varints and bytes from buf, keeping the first error.
type decoder struct {
	buf []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrFrame}, args...)...)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.fail("%s: bad varint at byte %d", what, d.off)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) byte1(what string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.buf) {
		d.fail("%s: missing at byte %d", what, d.off)
		return 0
	}
	b := d.buf[d.off]
	d.off++
	return b
}

// count reads a count of items of at least minBytes each and checks that
// the bytes left can hold them.
func (d *decoder) count(what string, minBytes int) uint64 {
	n := d.uvarint(what)
	if d.err == nil && n > uint64(len(d.buf)-d.off)/uint64(minBytes) {
		d.fail("%s %d exceeds what %d bytes can hold", what, n, len(d.buf)-d.off)
		return 0
	}
	return n
}

func (d *decoder) bytes(what string, limit int) []byte {
	n := d.uvarint(what + " length")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)-d.off) || n > uint64(limit) {
		d.fail("%s of %d bytes: %d bytes left, limit %d", what, n, len(d.buf)-d.off, limit)
		return nil
	}
	b := d.buf[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return b
}

func (d *decoder) message() raft.Message {
	var m raft.Message
	t := d.byte1("type")
	if d.err == nil && (t == 0 || int(t) >= raft.NumMessageTypes) {
		d.fail("unknown message type %d", t)
	}
	m.Type = raft.MessageType(t)
	m.From = raft.NodeID(d.uvarint("from"))
	m.To = raft.NodeID(d.uvarint("to"))
	m.Term = raft.Term(d.uvarint("term"))
	m.LogTerm = raft.Term(d.uvarint("log term"))
	m.Index = raft.Index(d.uvarint("index"))
	m.Commit = raft.Index(d.uvarint("commit"))
	switch r := d.byte1("reject"); {
	case d.err != nil:
	case r > 1:
		d.fail("reject byte %d is not 0 or 1", r)
	default:
		m.Reject = r == 1
	}
	m.RejectHint = raft.Index(d.uvarint("reject hint"))
	m.Context = d.uvarint("context")
	n := d.count("entry count", minEntryBytes)
	if d.err != nil {
		return m
	}
	if n > 0 {
		m.Entries = make([]raft.Entry, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var e raft.Entry
		e.Term = raft.Term(d.uvarint("entry term"))
		e.Index = raft.Index(d.uvarint("entry index"))
		et := d.byte1("entry type")
		if d.err == nil && (et < byte(raft.EntryNormal) || et > byte(raft.EntryConfig)) {
			d.fail("unknown entry type %d", et)
		}
		e.Type = raft.EntryType(et)
		e.Data = d.bytes("entry data", len(d.buf))
		if len(e.Data) == 0 {
			e.Data = nil
		}
		m.Entries = append(m.Entries, e)
	}
	switch has := d.byte1("snapshot"); {
	case d.err != nil:
	case has > 1:
		d.fail("snapshot byte %d is not 0 or 1", has)
	case has == 1:
		m.Snapshot = d.chunk()
	}
	return m
}

func (d *decoder) chunk() *raft.SnapshotChunk {
	c := &raft.SnapshotChunk{}
	c.Meta.Index = raft.Index(d.uvarint("snapshot index"))
	c.Meta.Term = raft.Term(d.uvarint("snapshot term"))
	cs := &c.Meta.ConfState
	for _, ids := range [...]*[]raft.NodeID{&cs.Voters, &cs.Learners, &cs.VotersOutgoing, &cs.LearnersNext} {
		n := d.count("snapshot configuration size", 1)
		for i := uint64(0); i < n && d.err == nil; i++ {
			*ids = append(*ids, raft.NodeID(d.uvarint("snapshot configuration member")))
		}
	}
	switch al := d.byte1("snapshot configuration auto-leave"); {
	case d.err != nil:
	case al > 1:
		d.fail("snapshot configuration auto-leave byte %d is not 0 or 1", al)
	default:
		cs.AutoLeave = al == 1
	}
	c.Offset = d.uvarint("snapshot offset")
	c.Total = d.uvarint("snapshot total")
	c.Data = d.bytes("snapshot data", len(d.buf))
	if len(c.Data) == 0 {
		c.Data = nil
	}
	return c
}

// Hello is a dialer's introduction, and (with Cluster, From and To
// unchecked) the acceptor's welcome.
type Hello struct {
	Cluster uint64
	From    raft.NodeID
	To      raft.NodeID
	// ClientAddr is where the sender serves clients, so that followers can
	// forward requests to the leader. It may be empty.
	ClientAddr string
}

// maxClientAddrBytes bounds Hello.ClientAddr.
const maxClientAddrBytes = 256

// AppendHello appends the payload of a hello or welcome frame.
func AppendHello(dst []byte, h Hello) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, h.Cluster)
	dst = binary.AppendUvarint(dst, uint64(h.From))
	dst = binary.AppendUvarint(dst, uint64(h.To))
	addr := h.ClientAddr
	if len(addr) > maxClientAddrBytes {
		addr = addr[:maxClientAddrBytes]
	}
	dst = binary.AppendUvarint(dst, uint64(len(addr)))
	return append(dst, addr...)
}

// DecodeHello parses a hello or welcome payload.
func DecodeHello(p []byte) (Hello, error) {
	if len(p) < 8 {
		return Hello{}, fmt.Errorf("%w: hello of %d bytes", ErrFrame, len(p))
	}
	h := Hello{Cluster: binary.LittleEndian.Uint64(p)}
	d := decoder{buf: p, off: 8}
	h.From = raft.NodeID(d.uvarint("hello from"))
	h.To = raft.NodeID(d.uvarint("hello to"))
	h.ClientAddr = string(d.bytes("hello client address", maxClientAddrBytes))
	if d.err == nil && d.off != len(p) {
		d.fail("%d bytes after the hello", len(p)-d.off)
	}
	return h, d.err
}
