package scenarios

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// traceLine is what the snapshot scenario tests read of a trace line.
type traceLine struct {
	T     int64  `json:"t"`
	Ev    string `json:"ev"`
	Node  uint64 `json:"node"`
	Peer  uint64 `json:"peer"`
	Msg   string `json:"msg"`
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
	Text  string `json:"text"`
}

func traceOf(t *testing.T, name string, seed uint64) []traceLine {
	t.Helper()
	s, ok := Builtin(name)
	if !ok {
		t.Fatalf("no built-in scenario %q", name)
	}
	var buf bytes.Buffer
	res := runSeed(t, s, seed, &buf)
	if !res.Passed() {
		t.Fatalf("%s seed %d: %s", name, seed, FailureList(res.Failures))
	}
	var out []traceLine
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l traceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// Each snapshot scenario of the library does what its file says, on every
// library seed.
func TestSnapshotScenariosDoWhatTheySay(t *testing.T) {
	t.Run("follower-needs-snapshot", func(t *testing.T) {
		t.Parallel()
		for _, seed := range librarySeeds {
			installed, cut := false, false
			for _, l := range traceOf(t, "follower-needs-snapshot", seed) {
				switch {
				case l.Ev == "snapshot" && l.Node == 4 && l.Text == "restore" && l.T > int64(3*time.Second):
					installed = true
				case l.Ev == "action" && l.Node == 4 && l.Text == "isolate_on_snapshot: isolate" && !installed:
					cut = true
				}
			}
			if !installed || !cut {
				t.Errorf("seed %d: node 4 restored a snapshot after its restart: %v, after a transfer cut off: %v", seed, installed, cut)
			}
		}
	})
	t.Run("snapshot-leader-crash", func(t *testing.T) {
		t.Parallel()
		for _, seed := range librarySeeds {
			senders := map[uint64]bool{}
			crashes, installs := 0, 0
			for _, l := range traceOf(t, "snapshot-leader-crash", seed) {
				switch {
				case l.Ev == "send" && l.Msg == "Snap" && l.Peer == 3:
					senders[l.Node] = true
				case l.Ev == "action" && l.Text == "crash_on_snapshot: crash":
					crashes++
				case l.Ev == "snapshot" && l.Node == 3 && l.Text == "install":
					installs++
				}
			}
			if crashes == 0 || len(senders) < 2 || installs == 0 {
				t.Errorf("seed %d: %d leaders crashed mid-transfer, %d sent node 3 chunks, %d installs: want a transfer cut off and another completed", seed, crashes, len(senders), installs)
			}
		}
	})
	t.Run("power-loss-during-compaction", func(t *testing.T) {
		t.Parallel()
		for _, seed := range librarySeeds {
			// A node that wrote a snapshot and lost power before its next
			// sync lost the snapshot; it must have restarted after.
			unsynced := map[uint64]bool{}
			lostBeforeSync, restarted := map[uint64]bool{}, 0
			for _, l := range traceOf(t, "power-loss-during-compaction", seed) {
				switch {
				case l.Ev == "snapshot" && (l.Text == "store" || l.Text == "install"):
					unsynced[l.Node] = true
				case l.Ev == "sync":
					unsynced[l.Node] = false
				case l.Ev == "crash" && l.Text == "power_loss":
					if unsynced[l.Node] {
						lostBeforeSync[l.Node] = true
					}
					unsynced[l.Node] = false
				case l.Ev == "restart" && lostBeforeSync[l.Node]:
					restarted++
				}
			}
			if restarted == 0 {
				t.Errorf("seed %d: no node lost power with a snapshot unsynced and restarted", seed)
			}
		}
	})
	t.Run("slow-link-snapshot", func(t *testing.T) {
		t.Parallel()
		for _, seed := range librarySeeds {
			firstChunk := map[uint64]int64{}
			slow := 0
			for _, l := range traceOf(t, "slow-link-snapshot", seed) {
				switch {
				case l.Ev == "send" && l.Msg == "Snap" && l.Peer == 3:
					if _, ok := firstChunk[l.Index]; !ok {
						firstChunk[l.Index] = l.T
					}
				case l.Ev == "snapshot" && l.Node == 3 && l.Text == "install" && l.T < int64(10*time.Second):
					if took := time.Duration(l.T - firstChunk[l.Index]); took >= 500*time.Millisecond {
						slow++
					}
				}
			}
			if slow < 2 {
				t.Errorf("seed %d: node 3 installed %d snapshots that took 500ms or more over the slow link, want at least 2", seed, slow)
			}
		}
	})
}
