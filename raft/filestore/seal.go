package filestore

import (
	"fmt"
	"os"

	"github.com/raftsim/raftsim/raft/disk"
)

// segReplay is the recovery of one segment: what the segments around it
// say it must hold, and what its replay found.
type segReplay struct {
	fs   disk.FS
	dir  string
	seq  uint64
	path string
	last bool
	// prev is the link the predecessor was sealed with (zero for segment
	// 1): this segment's header must name it.
	prev segLink
	// unlinked is set for the first segment present when compaction
	// deleted its predecessors: its link cannot be checked.
	unlinked bool
	// next is the link the successor's header names: the size and chain
	// this segment had when it was sealed. Known when hasNext.
	next    segLink
	hasNext bool
	// nextEmpty is true when the successor is the last segment and holds
	// no record: then a missing seal is a rollover a crash interrupted.
	nextEmpty bool

	// chain is the checksum chain of the header and the records replayed.
	chain uint32
	// end is where the records end: the seal's offset, or the file's
	// good end when there is no seal.
	end    int64
	sealed bool
	seal   seal
}

// link is what the successor's header must say of this segment.
func (r *segReplay) link() segLink {
	if r.sealed {
		return r.seal.link
	}
	return r.next
}

// peekNext reads the header of the successor, segment seq, to learn how
// this segment was sealed. A successor that is the last segment and is
// shorter than a header names nothing; replayHeader deals with it.
func (r *segReplay) peekNext(seq uint64, last bool) error {
	path := segmentPath(r.dir, seq)
	f, err := r.fs.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return err
	}
	r.nextEmpty = last && size <= segmentHeaderBytes
	if size < segmentHeaderBytes {
		if last {
			return nil
		}
		return &CorruptionError{File: path, Offset: 0, Reason: fmt.Sprintf("segment header is %d bytes, want %d (in a segment that is not the last)", size, segmentHeaderBytes)}
	}
	h := make([]byte, segmentHeaderBytes)
	if _, err := f.ReadAt(h, 0); err != nil {
		return err
	}
	link, reason := checkSegmentHeader(h, seq)
	if reason != "" {
		return &CorruptionError{File: path, Offset: 0, Reason: reason, checksum: true}
	}
	r.next, r.hasNext = link, true
	return nil
}

// sealRecord checks a seal record of n bytes at off, in a file of size
// bytes. Only a segment that is not the last may hold one, as its last
// record, describing the segment up to itself.
func (r *segReplay) sealRecord(payload []byte, off, n, size int64) error {
	if r.last {
		// The successor was durable before the seal was written.
		return &CorruptionError{File: segmentPath(r.dir, r.seq+1), Offset: 0,
			Reason: fmt.Sprintf("segment file missing: %s ends with a seal record, which is written only once its successor exists", r.path)}
	}
	sl, err := decodeSeal(payload)
	reason := ""
	switch {
	case err != nil:
		reason = err.Error()
	case r.sealed || off+n != size:
		reason = "a seal record that is not the segment's last record"
	case sl.next != r.seq+1:
		reason = fmt.Sprintf("seal record names segment %d as the next, want %d", sl.next, r.seq+1)
	case sl.link != (segLink{bytes: off, chain: r.chain}):
		reason = fmt.Sprintf("seal record says the records end at byte %d with chain %#08x, but they end at %d with chain %#08x: records were changed",
			sl.link.bytes, sl.link.chain, off, r.chain)
	}
	if reason != "" {
		return &CorruptionError{File: r.path, Offset: off, Reason: reason}
	}
	r.sealed, r.seal, r.end = true, sl, off
	return nil
}

// tornSeal reports whether a bad frame at off is a seal record that a
// crash tore: it starts where the successor's header says this segment
// was sealed, and the successor holds nothing yet.
func (r *segReplay) tornSeal(off int64) bool {
	return r.hasNext && r.nextEmpty && off == r.next.bytes
}

// checkSealed checks a segment that is not the last against its
// successor's header: sealed at the size and chain the header names, or,
// if a crash interrupted the rollover, unsealed at exactly that point with
// an empty successor, in which case the seal is written now. Anything
// else means the segment was cut, rewritten or swapped since it was
// sealed.
func (s *Store) checkSealed(f disk.File, r *segReplay) error {
	corrupt := func(off int64, format string, args ...any) error {
		return &CorruptionError{File: r.path, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	next := segmentName(r.seq + 1)
	switch {
	case r.sealed:
		if r.hasNext && r.seal.link != r.next {
			return corrupt(r.end, "sealed at %d bytes (chain %#08x), but %s was created after a segment of %d bytes (chain %#08x): a segment was replaced",
				r.seal.link.bytes, r.seal.link.chain, next, r.next.bytes, r.next.chain)
		}
		return nil
	case !r.hasNext:
		return corrupt(r.end, "no seal record, and the header of %s is incomplete", next)
	case r.end < r.next.bytes:
		return corrupt(r.end, "segment ends at byte %d, but it held %d bytes when %s was created: it was cut", r.end, r.next.bytes, next)
	case r.end > r.next.bytes:
		return corrupt(r.next.bytes, "records run past the %d bytes the segment held when %s was created, with no seal record", r.next.bytes, next)
	case r.chain != r.next.chain:
		return corrupt(segmentHeaderBytes, "records differ from those the segment held when %s was created (checksum chain %#08x, recorded %#08x)", next, r.chain, r.next.chain)
	case !r.nextEmpty:
		return corrupt(r.end, "no seal record, but %s holds records: the seal was lost", next)
	}
	// The crash came between creating the successor and sealing this one.
	if err := f.Truncate(r.end); err != nil {
		return err
	}
	if err := writeSeal(f, seal{next: r.seq + 1, link: r.next}); err != nil {
		return err
	}
	s.fsyncs++
	s.recovery.Resealed = r.path
	return nil
}
