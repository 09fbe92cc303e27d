package disk

import "math/rand/v2"

// Crash ends the process using the disk: nothing on the disk changes
// (unsynced writes stay in the page cache, readable, not durable), and
// every handle opened so far becomes stale (ErrStale). Armed faults stay
// armed.
func (s *Sim) Crash() {
	s.gen++
	s.stats.Crashes++
}

// PowerLoss loses the machine. Each file keeps its durable bytes and an
// arbitrary subset of its unsynced writes, each kept or dropped with even
// odds, in their order (so a later write can survive an earlier one that
// did not); the last write kept may be torn, keeping only a prefix of its
// last sector. Writes whose fsync failed are lost. Every directory
// reverts to its entries as of its last SyncDir, and a file no name
// reaches any more is gone. Handles become stale, as in Crash.
func (s *Sim) PowerLoss() {
	s.gen++
	s.stats.PowerLosses++
	for _, ino := range s.inodes {
		if ino != nil {
			s.settle(ino)
		}
	}
	for _, d := range s.sortedDirs() {
		clear(d.names)
		for n, ino := range d.durable {
			d.names[n] = ino
		}
	}
	reached := map[*inode]bool{}
	for _, d := range s.dirs {
		for _, ino := range d.names {
			reached[ino] = true
		}
	}
	for i, ino := range s.inodes {
		if ino != nil && !reached[ino] {
			s.inodes[i] = nil
		}
	}
}

// sortedDirs returns the directories in path order, so that every draw
// happens in an order that depends on nothing but the disk's contents.
func (s *Sim) sortedDirs() []*dirNode {
	paths := make([]string, 0, len(s.dirs))
	for p := range s.dirs {
		paths = append(paths, p)
	}
	sortStrings(paths)
	out := make([]*dirNode, len(paths))
	for i, p := range paths {
		out[i] = s.dirs[p]
	}
	return out
}

// settle decides, at a power loss, what of ino's unsynced writes reaches
// the medium.
func (s *Sim) settle(ino *inode) {
	name := s.nameOf(ino)
	for _, sp := range ino.poisoned {
		ino.lost = ino.lost.add(sp.lo, sp.hi)
	}
	keep := make([]bool, len(ino.pending))
	lastKept := -1
	for i, op := range ino.pending {
		keep[i] = s.rng.IntN(2) == 0
		if keep[i] && !op.trunc {
			lastKept = i
		}
	}
	out := ino.durable
	dropped := 0
	for i, op := range ino.pending {
		switch {
		case !keep[i] && !op.trunc:
			ino.lost = ino.lost.add(op.off, op.off+int64(len(op.data)))
			if dropped == 0 {
				s.record(Event{Kind: FaultLostWrite, Path: name, Off: op.off, Len: int64(len(op.data))})
			}
			dropped++
		case !keep[i]:
		case i == lastKept && s.rng.IntN(2) == 0:
			out = s.tear(out, op, ino, name)
		default:
			out = op.apply(out)
		}
	}
	ino.data, ino.durable = out, append([]byte(nil), out...)
	ino.pending, ino.poisoned = nil, nil
}

// tear applies op to buf except for a suffix of its last sector, which
// keeps what buf held there (zeros past its end).
func (s *Sim) tear(buf []byte, op pendingOp, ino *inode, name string) []byte {
	sb := int64(s.cfg.SectorBytes)
	end := op.off + int64(len(op.data))
	sec := max(op.off, (end-1)&^(sb-1))
	keep := sec + s.rng.Int64N(end-sec) // bytes [keep, end) are torn away
	old := make([]byte, end-keep)
	if keep < int64(len(buf)) {
		copy(old, buf[keep:])
	}
	buf = writeAt(buf, op.data, op.off)
	copy(buf[keep:end], old)
	ino.lost = ino.lost.add(keep, end)
	s.record(Event{Kind: FaultTornWrite, Path: name, Off: keep, Len: end - keep})
	return buf
}

// Clone returns a copy of the disk that injects no faults and draws no
// latency: for reading what a restart would find without changing the
// disk or its random stream.
func (s *Sim) Clone() *Sim {
	c := &Sim{cfg: s.cfg, rng: rand.New(rand.NewPCG(0, 0)), dirs: map[string]*dirNode{}, gen: s.gen, full: s.full, suspend: true}
	c.inodes = make([]*inode, len(s.inodes))
	for i, ino := range s.inodes {
		if ino == nil {
			continue
		}
		cp := *ino
		cp.data = append([]byte(nil), ino.data...)
		cp.durable = append([]byte(nil), ino.durable...)
		cp.pending = append([]pendingOp(nil), ino.pending...)
		cp.poisoned = append(spans(nil), ino.poisoned...)
		cp.lost = append(spans(nil), ino.lost...)
		cp.latent = append(spans(nil), ino.latent...)
		cp.history = nil
		c.inodes[i] = &cp
	}
	for p, d := range s.dirs {
		nd := newDirNode()
		for n, ino := range d.names {
			nd.names[n] = c.inodes[ino.ino-1]
		}
		for n, ino := range d.durable {
			nd.durable[n] = c.inodes[ino.ino-1]
		}
		for n := range d.subdirs {
			nd.subdirs[n] = true
		}
		c.dirs[p] = nd
	}
	return c
}

// DropCache evicts from the page cache the pages a failed fsync left
// there (see FaultSyncError): a process that restarts after an fsync
// error then reads what the medium holds at those bytes (zeros past its
// end), never writes that no fsync will ever make durable. Linux marks
// such pages clean after reporting the error, so they are the first to
// go when the cache is dropped; a store that treats an fsync error as
// fatal recovers from what is durable only once they are gone. Other
// unsynced writes stay cached, as they would.
func (s *Sim) DropCache() {
	for _, ino := range s.inodes {
		if ino == nil || len(ino.poisoned) == 0 {
			continue
		}
		for _, sp := range ino.poisoned {
			for b := sp.lo; b < min(sp.hi, ino.size()); b++ {
				var v byte
				if b < int64(len(ino.durable)) {
					v = ino.durable[b]
				}
				ino.data[b] = v
			}
			ino.lost = ino.lost.add(sp.lo, sp.hi)
		}
		ino.poisoned = nil
	}
}

// SetRates replaces the rates of the faults drawn at random (see
// SimConfig.Rates): a simulator turns them on for a fault phase and off
// when faults heal.
func (s *Sim) SetRates(r Rates) error {
	if err := r.Validate(); err != nil {
		return err
	}
	s.cfg.Rates = r
	return nil
}
