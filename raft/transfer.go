package raft

import (
	"fmt"

	"github.com/raftsim/raftsim/raft/bugs"
)

// Snapshot transfer (§7, InstallSnapshot). A leader whose follower needs
// an entry it has compacted away sends its snapshot instead, in chunks of
// Config.SnapshotChunkBytes, at most Config.MaxInflightSnapshotChunks of
// them unacknowledged (flow control: a big snapshot never floods a link).
// The follower takes chunks only in order and acknowledges each with the
// number of bytes it holds (MsgSnapResp); a chunk that does not start
// there is refused with that number, and the leader resends from it:
// go-back-N, so a lost chunk costs one window. The resend starts a new
// round, and answers to chunks of an earlier round are ignored, so that
// the rest of a window behind a lost chunk does not trigger more resends.
// A lost chunk at the end of a window draws no refusal; it shows when the
// follower answers a heartbeat the leader sent after that chunk (links
// deliver in order, mostly) while the chunk is still unacknowledged. The
// leader then resends the first unacknowledged chunk alone, as a probe: a
// follower that holds it already answers with what it holds, one that
// lacks it takes it, and the window moves on. At most one probe goes out
// per heartbeat round, and none while the follower answers nothing, so a
// slow link is never flooded with copies of a window. The same probe
// resends the last chunk when every byte is acknowledged but the answer
// to the install is lost.
//
// The follower assembles the chunks in memory and installs the snapshot
// when the last one arrives (handleSnapshotDone). A transfer belongs to
// one leader, term and snapshot: a chunk of another starts over, so a
// transfer cut off by a leader change restarts cleanly under the new
// leader, and a follower that restarted answers the next chunk with
// offset 0.

// snapshotSend is the leader's side of one transfer to one follower.
type snapshotSend struct {
	snap *Snapshot
	// next is the offset of the next chunk to send; acked is how many
	// bytes the follower confirmed. Invariant: acked <= next <= len(Data).
	next, acked uint64
	// sentLast is set once the chunk that ends the snapshot is sent, and
	// cleared by a resend.
	sentLast bool
	// round is carried by every chunk and echoed in answers.
	round uint64
	// sentRound is the leader's heartbeat round when the latest chunk
	// went out: an answer to a later round means the chunk arrived, or is
	// lost.
	sentRound uint64
}

// rewind resends from off, in a new round.
func (ss *snapshotSend) rewind(off uint64) {
	ss.next, ss.acked = off, off
	ss.sentLast = false
	ss.round++
}

// becomeSnapshot starts sending s to the follower.
func (p *progress) becomeSnapshot(s *Snapshot) {
	p.state = snapshotState
	p.probeSent = false
	p.inflight.reset()
	round := p.snap.round + 1
	p.snap = snapshotSend{snap: s, round: round}
}

// sendSnapshotChunks sends pr the chunks its window allows, and reports
// whether it sent any.
func (n *Node) sendSnapshotChunks(pr *progress) bool {
	ss := &pr.snap
	window := uint64(n.cfg.MaxInflightSnapshotChunks) * n.cfg.SnapshotChunkBytes
	sent := false
	for !ss.sentLast && ss.next-ss.acked < window {
		ss.next = n.sendChunk(pr, ss.next)
		ss.sentLast = ss.next == uint64(len(ss.snap.Data))
		sent = true
	}
	return sent
}

// sendChunk sends pr the chunk of its transfer at off and returns where
// the chunk ends.
func (n *Node) sendChunk(pr *progress, off uint64) uint64 {
	ss := &pr.snap
	total := uint64(len(ss.snap.Data))
	end := min(total, off+n.cfg.SnapshotChunkBytes)
	meta := ss.snap.Meta
	c := &SnapshotChunk{Meta: meta, Offset: off, Total: total, Data: ss.snap.Data[off:end:end]}
	n.send(Message{Type: MsgSnap, To: pr.id, Term: n.term, Index: meta.Index, LogTerm: meta.Term, Context: ss.round, Snapshot: c})
	ss.sentRound = n.round
	return end
}

// handleSnapshotResp takes a follower's answer to a chunk.
func (n *Node) handleSnapshotResp(pr *progress, m Message) {
	ss := &pr.snap
	if pr.state != snapshotState || m.Snapshot.Meta.Index != ss.snap.Meta.Index || m.Context != ss.round {
		return // about another transfer, or a round a resend ended
	}
	off := m.Snapshot.Offset
	if off > ss.next {
		return // more than was sent: not an answer to this transfer
	}
	if m.Reject {
		// The follower holds the snapshot up to off only: a chunk was
		// lost, or the follower restarted and holds nothing.
		ss.rewind(off)
	} else if off > ss.acked {
		ss.acked = off
	}
	n.needFlush = true
}

// probeSnapshot runs when the follower answers heartbeat round round: if
// a chunk sent before that round is still unacknowledged (or the install
// is), the chunk or its answer is lost, and the leader resends the first
// unacknowledged chunk.
func (n *Node) probeSnapshot(pr *progress, round uint64) {
	ss := &pr.snap
	if round <= ss.sentRound {
		return
	}
	total := uint64(len(ss.snap.Data))
	from := ss.acked
	switch {
	case from < ss.next:
	case ss.sentLast && total > 0:
		// Every byte is acknowledged, but not the install: the MsgAppResp
		// may be lost. Resend the last chunk; a follower that installed
		// the snapshot answers it again.
		from = (total - 1) / n.cfg.SnapshotChunkBytes * n.cfg.SnapshotChunkBytes
	case ss.sentLast:
		from = 0 // the one empty chunk
	default:
		return // chunks are still to be sent: the window is not full
	}
	n.sendChunk(pr, from)
}

// snapshotReceive is the follower's side of a transfer: the chunks of
// one snapshot from one leader in one term, received in order.
type snapshotReceive struct {
	active bool
	from   NodeID
	term   Term
	meta   SnapshotMeta
	total  uint64
	// data holds the bytes received; len(data) is where the next chunk
	// must start. Invariant: len(data) <= total.
	data []byte
}

func (r *snapshotReceive) belongs(m Message) bool {
	c := m.Snapshot
	return r.active && r.from == m.From && r.term == m.Term && r.total == c.Total &&
		r.meta.Index == c.Meta.Index && r.meta.Term == c.Meta.Term
}

// handleSnapshot takes a chunk from the leader.
func (n *Node) handleSnapshot(m Message) {
	c := m.Snapshot
	if c.Meta.Index <= n.log.committed && !bugs.Fire(bugs.InstallStaleSnapshot) {
		// Everything it holds is committed here already; installing it
		// would move this node back. A repeat of the last chunk of a
		// snapshot installed here, or a delayed copy, ends here too; the
		// answer lets the leader go on with entries.
		if n.recv.active && n.recv.meta.Index == c.Meta.Index {
			n.recv = snapshotReceive{}
		}
		n.send(Message{Type: MsgAppResp, To: m.From, Term: n.term, Index: n.log.committed})
		return
	}
	r := &n.recv
	if !r.belongs(m) {
		if c.Offset != 0 {
			n.answerChunk(m, 0, true) // a transfer we hold nothing of
			return
		}
		// A new transfer replaces any other: another leader, term or
		// snapshot.
		*r = snapshotReceive{active: true, from: m.From, term: m.Term, meta: c.Meta, total: c.Total, data: make([]byte, 0, c.Total)}
	}
	held := uint64(len(r.data))
	switch {
	case c.Offset == held:
	case c.Offset < held:
		n.answerChunk(m, held, false) // a duplicate: say where we are
		return
	case bugs.Fire(bugs.SnapshotChunkGap):
		// Takes the chunk although the bytes before it are missing.
	default:
		n.answerChunk(m, held, true) // a chunk before it was lost
		return
	}
	r.data = append(r.data, c.Data...)
	if !c.last() {
		n.answerChunk(m, uint64(len(r.data)), false)
		return
	}
	s := &Snapshot{Meta: SnapshotMeta{Index: c.Meta.Index, Term: c.Meta.Term, ConfState: c.Meta.ConfState.clone()}, Data: r.data}
	n.recv = snapshotReceive{}
	n.handleSnapshotDone(s, m.From)
}

// answerChunk tells the leader how many bytes of the snapshot this node
// holds, refusing the chunk when it did not start there.
func (n *Node) answerChunk(m Message, held uint64, reject bool) {
	c := m.Snapshot
	n.send(Message{Type: MsgSnapResp, To: m.From, Term: n.term, Index: c.Meta.Index, LogTerm: c.Meta.Term,
		Reject: reject, Context: m.Context,
		Snapshot: &SnapshotChunk{Meta: SnapshotMeta{Index: c.Meta.Index, Term: c.Meta.Term}, Offset: held, Total: c.Total}})
}

// checkSnapshotMessage checks the snapshot part of MsgSnap and
// MsgSnapResp.
func (n *Node) checkSnapshotMessage(m Message) error {
	c := m.Snapshot
	if (m.Type == MsgSnap || m.Type == MsgSnapResp) != (c != nil) {
		return fmt.Errorf("%w: %s with snapshot chunk %v", ErrInvalidMessage, m.Type, c != nil)
	}
	if c == nil {
		return nil
	}
	switch {
	case c.Meta.Index == 0 || c.Meta.Term == 0 || c.Meta.Term > m.Term:
		return fmt.Errorf("%w: %s for snapshot %d/%d in term %d", ErrInvalidMessage, m.Type, c.Meta.Term, c.Meta.Index, m.Term)
	case m.Index != c.Meta.Index || m.LogTerm != c.Meta.Term:
		return fmt.Errorf("%w: %s names snapshot %d/%d but its chunk %d/%d", ErrInvalidMessage, m.Type, m.LogTerm, m.Index, c.Meta.Term, c.Meta.Index)
	case c.Offset+uint64(len(c.Data)) > c.Total || c.Offset > c.Total:
		return fmt.Errorf("%w: %s chunk [%d, +%d) past the snapshot's %d bytes", ErrInvalidMessage, m.Type, c.Offset, len(c.Data), c.Total)
	case m.Type == MsgSnapResp && len(c.Data) > 0:
		return fmt.Errorf("%w: MsgSnapResp carries data", ErrInvalidMessage)
	case c.Total > n.cfg.MaxSnapshotBytes:
		return fmt.Errorf("%w: %s of a %d-byte snapshot, more than MaxSnapshotBytes %d", ErrInvalidMessage, m.Type, c.Total, n.cfg.MaxSnapshotBytes)
	}
	if m.Type == MsgSnap {
		// The configuration may well not include this node: one added
		// after the snapshot's index learns of it from the entries after.
		if err := c.Meta.ConfState.validate(); err != nil {
			return fmt.Errorf("%w: MsgSnap: %v", ErrInvalidMessage, err)
		}
	}
	return nil
}
