package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/raft/filestore"
)

// diskErrorRestartAfter is how long a node that stopped on a storage
// error stays down before its supervisor starts it again (as systemd's
// Restart=on-failure would): long enough for the others to notice, short
// enough that a fault phase sees it come back.
const diskErrorRestartAfter = 300 * time.Millisecond

// diskError stops a node whose storage returned err during op. A store
// error is fatal, never retried in place: after a failed write or fsync
// nobody knows what the file holds (after a failed fsync the kernel may
// have dropped the dirty pages, "fsyncgate"), so the process dies, and
// its restart recovers from what the disk holds durably. The pages a
// failed fsync left in the page cache are dropped first (disk.DropCache),
// so that the restart reads the medium, not writes that never reached it.
func (s *Simulator) diskError(n *node, op string, err error) {
	s.disk.ErrorCrashes++
	text := fmt.Sprintf("disk_error %s: %v", op, err)
	if n.up {
		n.store.crash()
		s.stop(n, text)
		s.faults.start(s.now, "crash", []raft.NodeID{n.id}, "disk error")
	} else {
		s.trace(TraceEvent{Kind: TraceCrash, Node: n.id, Text: text})
	}
	if d := n.store.disk(); d != nil {
		d.DropCache()
	}
	s.superviseRestart(n)
}

// superviseRestart has the node's supervisor start it again a while from
// now, unless a start is due already: restarts that fail while one is
// due (the timeline's, the healing phase's) add none.
func (s *Simulator) superviseRestart(n *node) {
	if n.restartDue {
		return
	}
	n.restartDue = true
	s.schedule(event{at: s.now.Add(diskErrorRestartAfter), kind: evDiskRestart, node: n.pos, inc: n.inc})
}

// onDiskRestart is the supervisor starting a node its storage stopped,
// unless something else restarted it since.
func (s *Simulator) onDiskRestart(n *node, e event) {
	n.restartDue = false
	if n.up || e.inc != n.inc {
		return
	}
	s.restart(n)
	if n.up {
		s.faults.stop(s.now, "crash", []raft.NodeID{n.id})
	}
}

// openFailed handles a restart whose storage did not open or whose
// contents the Raft core rejected. A store that reports corruption where
// the disk did corrupt data refuses to start, as it must: the node stays
// down (its supervisor tries again later: a stale read passes) and the
// rest of the cluster carries on without it. An I/O error is a disk
// error like any other. Anything else is a store that lost or invented
// state no fault explains: a violation.
func (s *Simulator) openFailed(n *node, err error) {
	var ce *filestore.CorruptionError
	switch {
	case errors.As(err, &ce) && n.store.disk() != nil && latentIn(n.store.disk(), ce.File):
		s.disk.Refusals++
		s.trace(TraceEvent{Kind: TraceCrash, Node: n.id, Text: fmt.Sprintf("refuse_start: %v", err)})
		s.superviseRestart(n)
	case errors.Is(err, disk.ErrIO) || errors.Is(err, disk.ErrNoSpace):
		s.diskError(n, "open", err)
	default:
		s.violation(durableStateViolation(n.id, err), n.id)
	}
}

// noteRepair counts a restart whose store found damage in data it had
// vouched for and repaired it, fenced (protocol-aware recovery), and
// checks that a latent fault explains it: a store that finds damage its
// disk never did has a bug.
func (s *Simulator) noteRepair(n *node, what string) {
	s.disk.Repairs++
	s.trace(TraceEvent{Kind: TraceDisk, Node: n.id, Text: "repair: " + what})
	if d := n.store.disk(); d != nil && !latentOnDisk(d) {
		s.violation(durableStateViolation(n.id, fmt.Errorf("the store repaired damage no disk fault explains: %s", what)), n.id)
	}
}

// latentOnDisk reports whether any latent fault ever hit disk d.
func latentOnDisk(d *disk.Sim) bool {
	st := d.Stats()
	for _, k := range disk.FaultKinds() {
		if k.Latent() && st.Faults[k] > 0 {
			return true
		}
	}
	return false
}

// durableStateViolation: a node's durable state is inconsistent, and no
// disk fault explains it: a store lost what it had promised to keep.
func durableStateViolation(id raft.NodeID, err error) *checker.Violation {
	return &checker.Violation{Invariant: "durable-state", Node: id,
		Message: fmt.Sprintf("node %d cannot restart from its durable state: %v", id, err)}
}

// latentIn reports whether a latent fault (corruption, misdirected write,
// stale read) hit the file named path.
func latentIn(d *disk.Sim, path string) bool {
	_, latent := d.Damage(path, 0, 1<<62)
	return latent
}

// DiskStats counts what the nodes' simulated disks did (file store runs
// only; zero on MemoryStorage).
type DiskStats struct {
	// Faults counts the faults that happened on every node's disk, by
	// kind, the kinds that never happened left out, in disk.FaultKind
	// order.
	Faults []DiskFaultCount
	// ErrorCrashes counts the times a node stopped on a storage error.
	ErrorCrashes uint64
	// Refusals counts restarts a store refused because it found
	// corruption on its disk.
	Refusals uint64
	// Repairs counts restarts whose store found damage in data it had
	// vouched for and came up fenced, to repair its log from a leader.
	Repairs uint64
	// OverBudget counts latent faults a scenario aimed past the
	// corruption budget, skipped.
	OverBudget uint64
	// CorruptNodes lists the nodes whose disks had latent faults injected
	// (the corruption budget, DiskConfig), in order.
	CorruptNodes []raft.NodeID
}

// DiskFaultCount is how many faults of one kind happened.
type DiskFaultCount struct {
	Kind  disk.FaultKind
	Count uint64
}

// diskStats sums the faults of every node's disk.
func (s *Simulator) diskStats() DiskStats {
	st := s.disk
	for _, k := range disk.FaultKinds() {
		var sum uint64
		for _, n := range s.nodes {
			if d := n.store.disk(); d != nil {
				sum += d.Stats().Faults[k]
			}
		}
		if sum > 0 {
			st.Faults = append(st.Faults, DiskFaultCount{Kind: k, Count: sum})
		}
	}
	return st
}
