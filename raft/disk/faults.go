package disk

import "fmt"

// FaultKind names a fault of the simulated disk.
type FaultKind uint8

const (
	// FaultWriteError: a write failed with ErrIO and wrote nothing.
	FaultWriteError FaultKind = iota + 1
	// FaultMisdirect: a write landed at another offset than asked
	// (Event.Off), its bytes missing at the offset asked (Event.Intended).
	FaultMisdirect
	// FaultSyncError: an fsync failed with ErrIO; the writes it was to
	// make durable never will be.
	FaultSyncError
	// FaultStaleRead: a read returned a sector as it was before its latest
	// write.
	FaultStaleRead
	// FaultNoSpace: a write that needed new space failed with ErrNoSpace.
	FaultNoSpace
	// FaultBitFlip: one bit of synced data flipped on the medium.
	FaultBitFlip
	// FaultZeroSector: the synced bytes of one sector read back as zeros.
	FaultZeroSector
	// FaultTornWrite: a power loss kept only a prefix of the last sector
	// of a file's last unsynced write that survived.
	FaultTornWrite
	// FaultLostWrite: a power loss dropped an unsynced write (Event.Len
	// counts the writes of the file dropped at once).
	FaultLostWrite
	faultKindLimit
)

var faultKindNames = [...]string{
	FaultWriteError: "write_error", FaultMisdirect: "misdirect", FaultSyncError: "sync_error",
	FaultStaleRead: "stale_read", FaultNoSpace: "no_space", FaultBitFlip: "bit_flip",
	FaultZeroSector: "zero_sector", FaultTornWrite: "torn_write", FaultLostWrite: "lost_write",
}

// FaultKinds lists every fault kind, in order.
func FaultKinds() []FaultKind {
	out := make([]FaultKind, 0, faultKindLimit-1)
	for k := FaultKind(1); k < faultKindLimit; k++ {
		out = append(out, k)
	}
	return out
}

// ParseFaultKind returns the kind named name (as String spells it).
func ParseFaultKind(name string) (FaultKind, bool) {
	for k := FaultKind(1); k < faultKindLimit; k++ {
		if faultKindNames[k] == name {
			return k, true
		}
	}
	return 0, false
}

func (k FaultKind) String() string {
	if k > 0 && k < faultKindLimit {
		return faultKindNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// Latent reports whether k damages bytes a store had made durable, or
// makes it read such bytes wrong: what checksums must catch.
func (k FaultKind) Latent() bool {
	switch k {
	case FaultMisdirect, FaultStaleRead, FaultBitFlip, FaultZeroSector:
		return true
	}
	return false
}

// Event is one fault that happened, with where it hit.
type Event struct {
	Kind FaultKind
	// Path is the file's name when it happened.
	Path string
	// Off and Len locate the bytes affected (for FaultMisdirect, where
	// the write landed; for FaultLostWrite, the first write dropped).
	Off, Len int64
	// Intended is, for FaultMisdirect, the offset the write was for.
	Intended int64
}

func (e Event) String() string {
	switch e.Kind {
	case FaultMisdirect:
		return fmt.Sprintf("%s %s: %d bytes for byte %d landed at byte %d", e.Kind, e.Path, e.Len, e.Intended, e.Off)
	case FaultSyncError:
		return fmt.Sprintf("%s %s: %d unsynced bytes will never be durable", e.Kind, e.Path, e.Len)
	}
	return fmt.Sprintf("%s %s: %d bytes at byte %d", e.Kind, e.Path, e.Len, e.Off)
}

// eventsMax bounds the events kept; later ones are counted in
// Stats.EventsDropped only.
const eventsMax = 4096

// Stats counts a disk's operations and faults.
type Stats struct {
	Reads, Writes, Syncs, DirSyncs, MetaOps uint64
	PowerLosses, Crashes                    uint64
	// Faults counts the faults that happened, by kind.
	Faults        [faultKindLimit]uint64
	NoSpace       uint64
	EventsDropped uint64
}

// Stats returns the counts so far.
func (s *Sim) Stats() Stats { return s.stats }

// Events returns the faults that happened, in order (at most eventsMax;
// see Stats.EventsDropped).
func (s *Sim) Events() []Event { return s.events }

func (s *Sim) record(e Event) {
	s.stats.Faults[e.Kind]++
	if len(s.events) == eventsMax {
		s.stats.EventsDropped++
		return
	}
	s.events = append(s.events, e)
}

// Arm makes the next operation of k's kind fail that way, once per call:
// FaultWriteError and FaultMisdirect on a write, FaultSyncError on an
// fsync, FaultStaleRead on a read (a stale read fires only where an older
// sector version exists; it stays armed until one does). Other kinds
// cannot be armed: see SetFull, Corrupt and PowerLoss.
func (s *Sim) Arm(k FaultKind) error {
	switch k {
	case FaultWriteError, FaultMisdirect, FaultSyncError, FaultStaleRead:
		s.armed[k]++
		return nil
	}
	return fmt.Errorf("disk: fault %s cannot be armed", k)
}

// Armed returns how many faults of kind k are armed.
func (s *Sim) Armed(k FaultKind) int { return s.armed[k] }

// Disarm drops every armed fault.
func (s *Sim) Disarm() { clear(s.armed[:]) }

// fire decides whether a fault of kind k happens on this operation: an
// armed one, or one drawn at rate r.
func (s *Sim) fire(k FaultKind, r Ratio) bool {
	if s.suspend {
		return false
	}
	if s.armed[k] > 0 {
		if k != FaultStaleRead { // a stale read disarms when it hits
			s.armed[k]--
		}
		return true
	}
	return r.chance(s.rng)
}

// SetFull makes the disk full (every write that needs new space fails
// with ErrNoSpace) or gives it its space back.
func (s *Sim) SetFull(full bool) { s.full = full }

// Full reports whether SetFull(true) is in force.
func (s *Sim) Full() bool { return s.full }

// misdirect picks where a write of n bytes meant for off lands: one to
// eight sectors away, within the file as it stands, never where it was
// meant to.
func (s *Sim) misdirect(h *simFile, off, n int64) int64 {
	sb := int64(s.cfg.SectorBytes)
	k := 1 + s.rng.Int64N(8)
	at := off + k*sb
	if s.rng.IntN(2) == 0 || at > h.ino.size() {
		at = off - k*sb
	}
	if at < 0 {
		at = off + k*sb
	}
	s.record(Event{Kind: FaultMisdirect, Path: h.name, Off: at, Len: n, Intended: off})
	return at
}

// staleRead replaces, in buf (read at off), one sector with its previous
// version, if the history holds one in range.
func (s *Sim) staleRead(h *simFile, buf []byte, off int64) {
	ino := h.ino
	end := off + int64(len(buf))
	for i := len(ino.history) - 1; i >= 0; i-- {
		v := ino.history[i]
		sb := int64(s.cfg.SectorBytes)
		if v.off+sb <= off || v.off >= end {
			continue
		}
		lo, hi := max(off, v.off), min(end, v.off+sb)
		for b := lo; b < hi; b++ {
			var old byte
			if b-v.off < int64(len(v.data)) {
				old = v.data[b-v.off]
			}
			buf[b-off] = old
		}
		if s.armed[FaultStaleRead] > 0 {
			s.armed[FaultStaleRead]--
		}
		ino.latent = ino.latent.add(lo, hi)
		s.record(Event{Kind: FaultStaleRead, Path: h.name, Off: lo, Len: hi - lo})
		return
	}
}

// synced returns the bytes of ino whose durable contents equal what reads
// see and that no unsynced write covers: where latent corruption can
// strike.
func (ino *inode) synced() spans {
	var out spans
	n := min(int64(len(ino.durable)), ino.size())
	out = out.add(0, n)
	for _, op := range ino.pending {
		if op.trunc {
			out = out.remove(op.size, 1<<62)
		} else {
			out = out.remove(op.off, op.off+int64(len(op.data)))
		}
	}
	for _, sp := range ino.poisoned {
		out = out.remove(sp.lo, sp.hi)
	}
	return out
}

// Corrupt damages synced data on the medium, as latent corruption does:
// kind FaultBitFlip flips one bit, FaultZeroSector zeroes the synced bytes
// of one sector. The byte is drawn uniformly among the synced bytes of the
// files whose path match accepts (every file when match is nil). It
// returns what it did, or false when no file holds a synced byte.
func (s *Sim) Corrupt(kind FaultKind, match func(path string) bool) (Event, bool) {
	if kind != FaultBitFlip && kind != FaultZeroSector {
		panic(fmt.Sprintf("disk: Corrupt with %s", kind))
	}
	type cand struct {
		path string
		ino  *inode
		sp   spans
	}
	var cands []cand
	var total int64
	for _, p := range s.Files() {
		if match != nil && !match(p) {
			continue
		}
		ino := s.inodeAt(p)
		if sp := ino.synced(); sp.bytes() > 0 {
			cands = append(cands, cand{p, ino, sp})
			total += sp.bytes()
		}
	}
	if total == 0 {
		return Event{}, false
	}
	k := s.rng.Int64N(total)
	var c cand
	for _, x := range cands {
		if b := x.sp.bytes(); k >= b {
			k -= b
			continue
		}
		c = x
		break
	}
	off := c.sp.nth(k)
	e := Event{Kind: kind, Path: c.path, Off: off, Len: 1}
	if kind == FaultBitFlip {
		bit := byte(1) << s.rng.IntN(8)
		c.ino.data[off] ^= bit
		c.ino.durable[off] ^= bit
	} else {
		sb := int64(s.cfg.SectorBytes)
		lo := off &^ (sb - 1)
		hi := min(lo+sb, c.ino.size(), int64(len(c.ino.durable)))
		e.Off, e.Len = lo, hi-lo
		for b := lo; b < hi; b++ {
			if c.sp.covers(b, b+1) {
				c.ino.data[b], c.ino.durable[b] = 0, 0
			}
		}
	}
	c.ino.latent = c.ino.latent.add(e.Off, e.Off+e.Len)
	s.record(e)
	return e, true
}

// Damage tells what the disk did to bytes [lo, hi) of the file named
// path: lost is true if a power loss took some of what was written there
// (an unsynced write dropped or torn, or one whose fsync failed), latent
// if a latent fault hit them. A store that reports damage the disk did
// not do, or cuts off bytes it had synced and no fault touched, has a
// bug.
func (s *Sim) Damage(path string, lo, hi int64) (lost, latent bool) {
	ino := s.inodeAt(path)
	if ino == nil {
		return false, false
	}
	return ino.lost.overlaps(lo, hi), ino.latent.overlaps(lo, hi)
}

// SyncedSize returns the size the file named path had at its last
// successful Sync (0 if it never had one), or -1 if no file has that name.
func (s *Sim) SyncedSize(path string) int64 {
	ino := s.inodeAt(path)
	if ino == nil {
		return -1
	}
	return ino.syncedSize
}
