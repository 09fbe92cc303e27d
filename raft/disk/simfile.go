package disk

import (
	"io"
	"io/fs"
)

// inode is a simulated file's contents.
type inode struct {
	ino uint64
	// data is what reads see: the durable bytes with every write since
	// applied, as an OS page cache shows them.
	data []byte
	// durable is what the medium holds: what survives a power loss for
	// sure.
	durable []byte
	// pending are the writes and truncations since the last successful
	// Sync, in order: what a power loss may or may not keep.
	pending []pendingOp
	// poisoned are bytes written before a Sync that failed: they show in
	// data but will never reach the medium (fsyncgate).
	poisoned spans
	// syncedSize is the file's size at its last successful Sync.
	syncedSize int64
	// lost marks the bytes a power loss took from what was written:
	// unsynced writes dropped or torn, poisoned bytes. latent marks the
	// bytes a latent fault damaged (corruption, misdirected write, stale
	// read). Writes over them clear the marks: the bytes are the store's
	// again. A simulator asks them (Damage) to tell a store's legitimate
	// recovery from a bug.
	lost, latent spans
	// history keeps the previous contents of recently written sectors,
	// newest last, for stale reads. Bounded by historyMax.
	history []sectorVersion
}

// historyMax bounds the previous sector versions kept per file.
const historyMax = 64

type sectorVersion struct {
	off  int64 // sector-aligned
	data []byte
}

type pendingOp struct {
	off   int64
	data  []byte // nil for a truncation
	trunc bool
	size  int64 // a truncation's new size
}

func (ino *inode) size() int64 { return int64(len(ino.data)) }

// writeAt puts p at off in buf, growing it with zeros as needed.
func writeAt(buf []byte, p []byte, off int64) []byte {
	if end := off + int64(len(p)); end > int64(len(buf)) {
		if end <= int64(cap(buf)) {
			n := len(buf)
			buf = buf[:end]
			clear(buf[n:]) // bytes a truncation left behind
		} else {
			nb := make([]byte, end, max(end, 2*int64(cap(buf))))
			copy(nb, buf)
			buf = nb
		}
	}
	copy(buf[off:], p)
	return buf
}

// resize sets buf's length, zero-filling growth.
func resize(buf []byte, size int64) []byte {
	if size <= int64(len(buf)) {
		return buf[:size]
	}
	return writeAt(buf, make([]byte, size-int64(len(buf))), int64(len(buf)))
}

// apply applies op to buf.
func (op pendingOp) apply(buf []byte) []byte {
	if op.trunc {
		return resize(buf, op.size)
	}
	return writeAt(buf, op.data, op.off)
}

// simFile is an open handle on a simulated file.
type simFile struct {
	s        *Sim
	ino      *inode
	gen      uint64
	name     string
	writable bool
	closed   bool
}

func (h *simFile) check(op string, write bool) error {
	switch {
	case h.closed:
		return &fs.PathError{Op: op, Path: h.name, Err: fs.ErrClosed}
	case h.gen != h.s.gen:
		return &fs.PathError{Op: op, Path: h.name, Err: ErrStale}
	case write && !h.writable:
		return &fs.PathError{Op: op, Path: h.name, Err: fs.ErrPermission}
	}
	return nil
}

// ReadAt implements File.
func (h *simFile) ReadAt(p []byte, off int64) (int, error) {
	if err := h.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: h.name, Err: fs.ErrInvalid}
	}
	h.s.stats.Reads++
	ino := h.ino
	if off >= ino.size() {
		return 0, io.EOF
	}
	n := copy(p, ino.data[off:])
	if h.s.fire(FaultStaleRead, h.s.cfg.Rates.StaleRead) {
		h.s.staleRead(h, p[:n], off)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements File.
func (h *simFile) WriteAt(p []byte, off int64) (int, error) {
	if err := h.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "write", Path: h.name, Err: fs.ErrInvalid}
	}
	s, ino := h.s, h.ino
	s.stats.Writes++
	s.drawLatency()
	if len(p) == 0 {
		return 0, nil
	}
	if s.fire(FaultWriteError, s.cfg.Rates.WriteError) {
		s.record(Event{Kind: FaultWriteError, Path: h.name, Off: off, Len: int64(len(p))})
		return 0, &fs.PathError{Op: "write", Path: h.name, Err: ErrIO}
	}
	if err := s.reserve(h, off+int64(len(p))); err != nil {
		return 0, err
	}
	at := off
	if s.fire(FaultMisdirect, s.cfg.Rates.Misdirect) {
		at = s.misdirect(h, off, int64(len(p)))
	}
	s.keepHistory(ino, at, int64(len(p)))
	buf := append([]byte(nil), p...)
	ino.data = writeAt(ino.data, buf, at)
	ino.pending = append(ino.pending, pendingOp{off: at, data: buf})
	end := at + int64(len(p))
	ino.poisoned = ino.poisoned.remove(at, end)
	ino.lost = ino.lost.remove(at, end)
	ino.latent = ino.latent.remove(at, end)
	if at != off {
		// The intended bytes never arrived, and others were overwritten.
		ino.latent = ino.latent.add(off, off+int64(len(p))).add(at, end)
	}
	return len(p), nil
}

// reserve fails with ErrNoSpace if growing the file to end needs space
// the disk does not have.
func (s *Sim) reserve(h *simFile, end int64) error {
	grow := end - h.ino.size()
	if grow <= 0 {
		return nil
	}
	if s.full || (s.cfg.CapacityBytes > 0 && s.usedBytes()+grow > s.cfg.CapacityBytes) {
		s.stats.NoSpace++
		s.record(Event{Kind: FaultNoSpace, Path: h.name, Off: h.ino.size(), Len: grow})
		return &fs.PathError{Op: "write", Path: h.name, Err: ErrNoSpace}
	}
	return nil
}

// Truncate implements File.
func (h *simFile) Truncate(size int64) error {
	if err := h.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: h.name, Err: fs.ErrInvalid}
	}
	s, ino := h.s, h.ino
	s.stats.Writes++
	s.drawLatency()
	if err := s.reserve(h, size); err != nil {
		return err
	}
	ino.data = resize(ino.data, size)
	ino.pending = append(ino.pending, pendingOp{trunc: true, size: size})
	const inf = int64(1) << 62
	ino.poisoned = ino.poisoned.remove(size, inf)
	ino.lost = ino.lost.remove(size, inf)
	ino.latent = ino.latent.remove(size, inf)
	return nil
}

// Sync implements File.
func (h *simFile) Sync() error {
	if err := h.check("sync", false); err != nil {
		return err
	}
	s, ino := h.s, h.ino
	s.stats.Syncs++
	if s.fire(FaultSyncError, s.cfg.Rates.SyncError) {
		// The kernel gives up on the dirty pages and marks them clean:
		// they stay readable until evicted, and no later fsync writes
		// them (fsyncgate).
		for _, op := range ino.pending {
			if !op.trunc {
				ino.poisoned = ino.poisoned.add(op.off, op.off+int64(len(op.data)))
			}
		}
		s.record(Event{Kind: FaultSyncError, Path: h.name, Off: 0, Len: ino.poisoned.bytes()})
		ino.pending = nil
		return &fs.PathError{Op: "sync", Path: h.name, Err: ErrIO}
	}
	for _, op := range ino.pending {
		ino.durable = op.apply(ino.durable)
	}
	ino.pending = nil
	ino.syncedSize = int64(len(ino.durable))
	return nil
}

// Size implements File.
func (h *simFile) Size() (int64, error) {
	if err := h.check("stat", false); err != nil {
		return 0, err
	}
	return h.ino.size(), nil
}

// Close implements File. Closing does not sync.
func (h *simFile) Close() error {
	if h.closed {
		return &fs.PathError{Op: "close", Path: h.name, Err: fs.ErrClosed}
	}
	h.closed = true
	return nil
}

// keepHistory saves the current contents of the sectors [off, off+n)
// touches, for stale reads.
func (s *Sim) keepHistory(ino *inode, off, n int64) {
	if !s.cfg.KeepSectorHistory && s.cfg.Rates.StaleRead.Num == 0 {
		return
	}
	sb := int64(s.cfg.SectorBytes)
	for sec := off &^ (sb - 1); sec < off+n; sec += sb {
		// A sector past the end was zeros before.
		old := make([]byte, max(0, min(sb, ino.size()-sec)))
		copy(old, ino.data[min(sec, ino.size()):])
		if len(ino.history) == historyMax {
			copy(ino.history, ino.history[1:])
			ino.history = ino.history[:historyMax-1]
		}
		ino.history = append(ino.history, sectorVersion{off: sec, data: old})
	}
}
