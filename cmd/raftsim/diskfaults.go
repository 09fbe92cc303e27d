package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// diskJSON is what the nodes' simulated disks did (file store runs).
type diskJSON struct {
	// Faults counts the faults that happened, by kind (bit_flip,
	// zero_sector, sync_error, write_error, no_space, misdirect,
	// stale_read, torn_write, lost_write).
	Faults       map[string]uint64 `json:"faults"`
	ErrorCrashes uint64            `json:"error_crashes"`
	Refusals     uint64            `json:"refusals"`
	Repairs      uint64            `json:"repairs"`
	OverBudget   uint64            `json:"over_budget"`
	CorruptNodes []raft.NodeID     `json:"corrupt_nodes"`
}

func diskOf(s *scenarios.Scenario, res *sim.Result) *diskJSON {
	if s.Config.Disk.Store != sim.StoreFile {
		return nil
	}
	d := &diskJSON{Faults: map[string]uint64{}, ErrorCrashes: res.Disk.ErrorCrashes, Refusals: res.Disk.Refusals,
		Repairs:    res.Disk.Repairs,
		OverBudget: res.Disk.OverBudget, CorruptNodes: res.Disk.CorruptNodes}
	if d.CorruptNodes == nil {
		d.CorruptNodes = []raft.NodeID{}
	}
	for _, c := range res.Disk.Faults {
		d.Faults[c.Kind.String()] = c.Count
	}
	return d
}

// printDisk writes the disk row of a run's summary.
func printDisk(w io.Writer, res *sim.Result, d *diskJSON) {
	if d == nil {
		return
	}
	var parts []string
	for _, c := range res.Disk.Faults {
		parts = append(parts, fmt.Sprintf("%d %s", c.Count, c.Kind))
	}
	faults := "no faults"
	if len(parts) > 0 {
		faults = strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "  %-16s %s; %s, %s, %s", "disk", faults,
		pluralWord(d.ErrorCrashes, "crash on a disk error", "crashes on disk errors"), plural(d.Refusals, "refused restart"),
		pluralWord(d.Repairs, "store repaired", "stores repaired"))
	if len(d.CorruptNodes) > 0 {
		fmt.Fprintf(w, "; latent faults on nodes %v", d.CorruptNodes)
	}
	if d.OverBudget > 0 {
		fmt.Fprintf(w, " (%d past the corruption budget skipped)", d.OverBudget)
	}
	fmt.Fprintln(w)
}
