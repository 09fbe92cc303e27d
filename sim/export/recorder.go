package export

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MessagesMax bounds the message copies a Recorder keeps (a copy is one
// arrival of a message: its delivery, hold or drop). A run past it keeps
// its first MessagesMax copies and counts the rest in Dropped.
const MessagesMax = 1 << 20

// lineMax bounds one trace line; the canonical trace's lines are short.
const lineMax = 1 << 16

// Copy is one copy of a message, from its send to its fate.
type Copy struct {
	ID         uint64
	From, To   uint64
	Msg        string
	Term       uint64
	Index      uint64
	Sent, Fate int64 // virtual ns
	// Outcome is "deliver" or "drop"; Reason says why a drop happened.
	Outcome string
	Reason  string
	// Dup is set on every copy of a duplicated message but the first to
	// reach its fate.
	Dup bool
}

// sendInfo is what a send event told about its message.
type sendInfo struct {
	at    int64
	index uint64
	// copies is how many copies the network made (1, more when
	// duplicated); fates how many have reached their fate.
	copies, fates uint64
}

// Recorder collects message copies from the canonical trace written to it
// as JSON lines. It is an io.Writer; it never fails a Write for content,
// so it cannot disturb a run, and reports trouble from Err.
type Recorder struct {
	partial []byte
	// sends maps a message ID to its send while a copy may still arrive.
	sends  map[uint64]*sendInfo
	copies []Copy
	// Dropped counts copies left out past MessagesMax.
	Dropped uint64
	err     error
	// from and to, when to > 0, keep only the copies in flight at some
	// time in [from, to] (virtual ns).
	from, to int64
}

// SetWindow keeps only the copies that are in flight at some time in
// [from, to] (virtual ns): sent by to and reaching their fate at from or
// later. Call it before the run.
func (r *Recorder) SetWindow(from, to int64) { r.from, r.to = from, to }

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{sends: map[uint64]*sendInfo{}}
}

// traceLine is the part of a trace line the Recorder reads.
type traceLine struct {
	T     int64  `json:"t"`
	Ev    string `json:"ev"`
	Node  uint64 `json:"node"`
	Peer  uint64 `json:"peer"`
	Msg   string `json:"msg"`
	ID    uint64 `json:"id"`
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
	N     uint64 `json:"n"`
	Text  string `json:"text"`
}

// Write consumes trace lines.
func (r *Recorder) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(r.partial)+len(p) > lineMax {
				r.fail(fmt.Errorf("export: a trace line longer than %d bytes", lineMax))
				r.partial = r.partial[:0]
				return n, nil
			}
			r.partial = append(r.partial, p...)
			break
		}
		line := p[:i]
		if len(r.partial) > 0 {
			line = append(r.partial, line...)
			r.partial = r.partial[:0]
		}
		r.line(line)
		p = p[i+1:]
	}
	return n, nil
}

func (r *Recorder) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Err reports a trace line the Recorder could not read.
func (r *Recorder) Err() error { return r.err }

// Copies returns the recorded message copies in the order they reached
// their fate.
func (r *Recorder) Copies() []Copy { return r.copies }

func (r *Recorder) line(b []byte) {
	// Most lines are ticks, persists and applies: skip them unparsed.
	if !bytes.Contains(b, []byte(`"id":`)) {
		return
	}
	var l traceLine
	if err := json.Unmarshal(b, &l); err != nil {
		r.fail(fmt.Errorf("export: reading the trace: %v", err))
		return
	}
	switch l.Ev {
	case "send":
		r.sends[l.ID] = &sendInfo{at: l.T, index: l.Index, copies: 1}
	case "dup":
		if s := r.sends[l.ID]; s != nil {
			s.copies += l.N
		}
	case "deliver":
		r.fate(l, l.Peer, l.Node, "deliver")
	case "drop":
		r.fate(l, l.Node, l.Peer, "drop")
	}
}

// fate records a copy's delivery or drop and forgets the send once every
// copy has reached its fate.
func (r *Recorder) fate(l traceLine, from, to uint64, outcome string) {
	s := r.sends[l.ID]
	if s == nil {
		r.fail(fmt.Errorf("export: message %d reached its fate without a send", l.ID))
		return
	}
	c := Copy{ID: l.ID, From: from, To: to, Msg: l.Msg, Term: l.Term, Index: s.index,
		Sent: s.at, Fate: l.T, Outcome: outcome, Dup: s.fates > 0}
	if outcome == "drop" {
		c.Reason = l.Text
	}
	s.fates++
	if s.fates >= s.copies {
		delete(r.sends, l.ID)
	}
	if r.to > 0 && (c.Sent > r.to || c.Fate < r.from) {
		return
	}
	if len(r.copies) >= MessagesMax {
		r.Dropped++
		return
	}
	r.copies = append(r.copies, c)
}
