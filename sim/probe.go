package sim

import (
	"fmt"
	"time"
)

// ProbeSample is what Config.Probe sees of a run at one virtual time: how
// much log the nodes hold. It is for following a long run (log
// compaction keeps these flat); nothing in the run depends on it.
type ProbeSample struct {
	Time time.Duration
	// LogEntries sums, over the running nodes, the entries each Raft core
	// holds in memory; MaxLogEntries is the most one node holds.
	LogEntries, MaxLogEntries uint64
	// StoredEntries sums the entries every node's storage holds.
	StoredEntries uint64
	// SnapshotIndex is the lowest snapshot index of a running node (0: one
	// has none).
	SnapshotIndex uint64
}

// probeEveryMin bounds Config.ProbeEvery from below, so that a probe
// cannot flood the event queue.
const probeEveryMin = time.Millisecond

func (c *Config) validateProbe() error {
	if c.Probe != nil && c.ProbeEvery < probeEveryMin {
		return fmt.Errorf("probe_every: %v is below %v", c.ProbeEvery, probeEveryMin)
	}
	return nil
}

// onProbe samples the nodes' logs and schedules the next sample.
func (s *Simulator) onProbe() {
	p := ProbeSample{Time: s.now.Duration(), SnapshotIndex: ^uint64(0)}
	for _, n := range s.nodes {
		p.StoredEntries += uint64(n.store.lastHeld() + 1 - n.store.firstHeld())
		if !n.up {
			continue
		}
		st := n.rn.Status()
		held := uint64(st.LastIndex + 1 - st.FirstIndex)
		p.LogEntries += held
		p.MaxLogEntries = max(p.MaxLogEntries, held)
		p.SnapshotIndex = min(p.SnapshotIndex, uint64(st.SnapshotIndex))
	}
	if p.SnapshotIndex == ^uint64(0) {
		p.SnapshotIndex = 0
	}
	s.cfg.Probe(p)
	s.schedule(event{at: s.now.Add(s.cfg.ProbeEvery), kind: evProbe})
}
