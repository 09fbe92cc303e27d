package scenarios

import (
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/sim"
)

// [disk.faults] is read and written back.
func TestDiskRatesRoundTrip(t *testing.T) {
	s := Builtins()[0]
	s.Config.Timeline, s.Config.Checks = nil, nil
	s.Config.Disk.Store = sim.StoreFile
	s.Config.Disk.Rates = disk.Rates{SyncError: disk.Ratio{Num: 1, Den: 500}, StaleRead: disk.Ratio{Num: 3, Den: 10000}}
	roundTrip(t, s)
	enc := string(Encode(s))
	if !strings.Contains(enc, "[disk.faults]\nsync_error = \"1/500\"\nstale_read = \"3/10000\"\n") {
		t.Fatalf("encoding lacks the rates:\n%s", enc)
	}
}
