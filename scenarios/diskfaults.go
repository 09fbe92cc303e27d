package scenarios

import (
	"strings"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/sim"
)

// diskFaultKinds are the values of a disk_fault action's fault key.
var diskFaultKinds = []disk.FaultKind{disk.FaultBitFlip, disk.FaultZeroSector, disk.FaultSyncError,
	disk.FaultWriteError, disk.FaultNoSpace, disk.FaultMisdirect, disk.FaultStaleRead}

func diskFaultNames() string {
	names := make([]string, len(diskFaultKinds))
	for i, k := range diskFaultKinds {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}

// decodeDiskFault reads a disk_fault action's fault.
func decodeDiskFault(t *table, a *sim.Action) {
	var name string
	if !t.str("fault", &name) {
		return
	}
	k, ok := disk.ParseFaultKind(name)
	if !ok || !containsKind(diskFaultKinds, k) {
		t.fail("fault", "%q is not a disk fault (%s)", name, diskFaultNames())
		return
	}
	a.DiskFault = k
}

func containsKind(ks []disk.FaultKind, k disk.FaultKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// decodeDiskRates reads [disk.faults]: the disk faults drawn at random
// on every operation during the fault phase (sim.DiskConfig.Rates).
func decodeDiskRates(t *table, r *disk.Rates) {
	for _, f := range []struct {
		key string
		dst *disk.Ratio
	}{{"write_error", &r.WriteError}, {"sync_error", &r.SyncError}, {"misdirect", &r.Misdirect}, {"stale_read", &r.StaleRead}} {
		if !t.has(f.key) {
			continue
		}
		var nr netsim.Ratio
		t.ratio(f.key, &nr)
		*f.dst = disk.Ratio{Num: nr.Num, Den: nr.Den}
	}
}

// encodeDiskRates writes [disk.faults], when any rate is set.
func (e *encoder) diskRates(r disk.Rates) {
	if r == (disk.Rates{}) {
		return
	}
	e.table("disk.faults")
	for _, f := range []struct {
		key string
		r   disk.Ratio
	}{{"write_error", r.WriteError}, {"sync_error", r.SyncError}, {"misdirect", r.Misdirect}, {"stale_read", r.StaleRead}} {
		if f.r.Num != 0 {
			e.kv(f.key, quote(formatRatio(netsim.Ratio{Num: f.r.Num, Den: f.r.Den})))
		}
	}
}
