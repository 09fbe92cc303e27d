package sim

import (
	"errors"
	"fmt"
	"slices"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
)

// Disk faults (ActDiskFault, DiskConfig.Rates) act on the simulated disk
// under each node's file store. Faults that only stop a node (an error
// on write or fsync, a full disk) may hit every node: Raft survives any
// number of crashes, and a node's storage error is a crash (diskerror.go).
// Latent faults damage data a node made durable, or make it read such
// data wrong (disk.FaultKind.Latent). They hit at most a minority of the
// initial voters over a run, the corruption budget, as TigerBeetle's
// simulator bounds them: a node whose store finds its synced data
// damaged comes back fenced and votes for no one until a leader has
// repaired its log, so the cluster must keep a quorum of nodes whose
// disks it can trust to elect that leader.

// injectable lists the kinds a scenario can inject, for messages.
var injectable = []disk.FaultKind{disk.FaultBitFlip, disk.FaultZeroSector, disk.FaultSyncError,
	disk.FaultWriteError, disk.FaultMisdirect, disk.FaultStaleRead, disk.FaultNoSpace}

func (a *Action) validateDiskFault(c *Config, needTargets func() error) error {
	if !slices.Contains(injectable, a.DiskFault) {
		return fmt.Errorf("fault: %s is not a disk fault a scenario injects (%s)", a.DiskFault, kindList(injectable))
	}
	if c.Disk.Store != StoreFile {
		return errors.New(`fault: disk faults hit the file store: set [disk] store = "file"`)
	}
	if a.Until != 0 && (a.DiskFault != disk.FaultNoSpace || a.Until <= a.At || a.Until > c.Duration) {
		return fmt.Errorf("until: %v: only no_space lasts until a time, after at (%v) and at most the fault phase's end (%v)", a.Until, a.At, c.Duration)
	}
	return needTargets()
}

func kindList(ks []disk.FaultKind) string {
	out := ""
	for i, k := range ks {
		if i > 0 {
			out += ", "
		}
		out += k.String()
	}
	return out
}

// corruptBudget is how many nodes latent faults may hit: a minority of
// the initial voters.
func (s *Simulator) corruptBudget() int { return (s.cfg.initialVoters() - 1) / 2 }

// claimCorrupt reports whether a latent fault may hit node id: it has
// been hit before, or the budget has room for it (which it then takes).
func (s *Simulator) claimCorrupt(id raft.NodeID) bool {
	if slices.Contains(s.disk.CorruptNodes, id) {
		return true
	}
	if len(s.disk.CorruptNodes) >= s.corruptBudget() {
		return false
	}
	s.disk.CorruptNodes = append(s.disk.CorruptNodes, id)
	slices.Sort(s.disk.CorruptNodes)
	return true
}

// injectDiskFault carries out an ActDiskFault on its targets.
func (s *Simulator) injectDiskFault(a *Action, nodes []raft.NodeID) {
	k := a.DiskFault
	for _, id := range nodes {
		n := s.nodes[id-1]
		d := n.store.disk()
		if k.Latent() && !s.claimCorrupt(id) {
			s.disk.OverBudget++
			s.trace(TraceEvent{Kind: TraceDisk, Node: id, Text: fmt.Sprintf("%s skipped: the corruption budget (%d of %d voters) is spent", k, s.corruptBudget(), s.cfg.initialVoters())})
			continue
		}
		switch k {
		case disk.FaultBitFlip, disk.FaultZeroSector:
			if e, ok := d.Corrupt(k, nil); ok {
				s.trace(TraceEvent{Kind: TraceDisk, Node: id, Text: e.String()})
				n.store.diskChanged()
				n.stored = storedConfig{}
			} else {
				s.trace(TraceEvent{Kind: TraceDisk, Node: id, Text: k.String() + " found no synced byte"})
			}
		case disk.FaultNoSpace:
			d.SetFull(true)
			s.trace(TraceEvent{Kind: TraceDisk, Node: id, Text: "no_space: the disk is full"})
			s.faults.start(s.now, "disk", []raft.NodeID{id}, "disk full")
			if a.Until != 0 {
				s.schedule(event{at: clock.Time(0).Add(a.Until), kind: evDiskSpace, node: n.pos})
			}
		default:
			must(d.Arm(k))
			s.trace(TraceEvent{Kind: TraceDisk, Node: id, Text: k.String() + " armed"})
		}
	}
}

// freeDisk gives a full disk its space back.
func (s *Simulator) freeDisk(n *node) {
	d := n.store.disk()
	if d == nil || !d.Full() {
		return
	}
	d.SetFull(false)
	s.trace(TraceEvent{Kind: TraceDisk, Node: n.id, Text: "no_space ends"})
	s.faults.stop(s.now, "disk", []raft.NodeID{n.id})
}

// startDiskRates turns on the faults drawn at random during the fault
// phase (DiskConfig.Rates). Latent ones go only to the nodes of the
// corruption budget, the first ones by ID, which they claim.
func (s *Simulator) startDiskRates() {
	r := s.cfg.Disk.Rates
	if r == (disk.Rates{}) {
		return
	}
	for _, n := range s.nodes {
		d := n.store.disk()
		if d == nil {
			continue
		}
		nr := r
		if (r.Misdirect.Num > 0 || r.StaleRead.Num > 0) && !s.claimCorrupt(n.id) {
			nr.Misdirect, nr.StaleRead = disk.Ratio{}, disk.Ratio{}
		}
		must(d.SetRates(nr))
	}
}

// healDisks ends every disk fault at the healing phase: armed faults and
// rates are dropped, full disks get their space back. Damage already
// done stays.
func (s *Simulator) healDisks() {
	for _, n := range s.nodes {
		d := n.store.disk()
		if d == nil {
			continue
		}
		d.Disarm()
		must(d.SetRates(disk.Rates{}))
		s.freeDisk(n)
	}
}
