package scenarios

import (
	"fmt"
	"strings"
)

// DiskFaultMode says how often Generate draws the disk-fault dimension.
type DiskFaultMode uint8

const (
	// DiskFaultsGenerated is the default: the seed draws whether it runs
	// on the file store (one seed in four) and whether its disks misbehave
	// (half of those).
	DiskFaultsGenerated DiskFaultMode = iota + 1
	// DiskFaultsAlways puts every seed on the file store and draws its
	// disk-fault dimension, so that a campaign measures every fault kind
	// on every seed. The draws after those two gates are the default's:
	// a seed that drew disk faults by default generates the same
	// configuration in both modes.
	DiskFaultsAlways
	diskFaultModeLimit
)

var diskFaultModeNames = [...]string{DiskFaultsGenerated: "generated", DiskFaultsAlways: "always"}

func (m DiskFaultMode) String() string {
	if m > 0 && m < diskFaultModeLimit {
		return diskFaultModeNames[m]
	}
	return fmt.Sprintf("DiskFaultMode(%d)", uint8(m))
}

// DiskFaultModes lists every mode, in order.
func DiskFaultModes() []DiskFaultMode {
	out := make([]DiskFaultMode, 0, diskFaultModeLimit-1)
	for m := DiskFaultMode(1); m < diskFaultModeLimit; m++ {
		out = append(out, m)
	}
	return out
}

// ParseDiskFaultMode returns the mode named name (as String spells it),
// or an error that lists the names.
func ParseDiskFaultMode(name string) (DiskFaultMode, error) {
	var names []string
	for _, m := range DiskFaultModes() {
		if m.String() == name {
			return m, nil
		}
		names = append(names, m.String())
	}
	return 0, fmt.Errorf("%q is not one of %s", name, strings.Join(names, ", "))
}

// generatedName is the name of seed's scenario: a scenario forced onto
// misbehaving disks is named apart, so that its reproducer is never
// taken for (or written over) the default generation's.
func generatedName(seed uint64, mode DiskFaultMode) string {
	if mode == DiskFaultsAlways {
		return fmt.Sprintf("generated-disk-%d", seed)
	}
	return fmt.Sprintf("generated-%d", seed)
}

func describeDiskFaultMode(mode DiskFaultMode) string {
	if mode == DiskFaultsAlways {
		return " The disk-fault dimension is drawn on every seed (fuzz --disk-faults always)."
	}
	return ""
}
