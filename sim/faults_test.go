package sim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// line is one parsed trace line.
type line struct {
	Seq   uint64 `json:"seq"`
	T     int64  `json:"t"`
	Ev    string `json:"ev"`
	Node  uint64 `json:"node"`
	Peer  uint64 `json:"peer"`
	Msg   string `json:"msg"`
	ID    uint64 `json:"id"`
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
	N     uint64 `json:"n"`
	Text  string `json:"text"`
}

// traced runs cfg and returns its result and parsed trace.
func traced(t *testing.T, cfg Config) (*Result, []line) {
	t.Helper()
	var buf bytes.Buffer
	cfg.Trace = &buf
	res := mustRun(t, cfg)
	var out []line
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var l line
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return res, out
}

func between(l line, from, to time.Duration) bool {
	return l.T >= int64(from) && l.T < int64(to)
}

func count(lines []line, pred func(line) bool) int {
	n := 0
	for _, l := range lines {
		if pred(l) {
			n++
		}
	}
	return n
}

// Each fault kind shows in the trace: the run is not only safe under it,
// the fault really happened.
func TestEachFaultHappens(t *testing.T) {
	const at, until = time.Second, 2 * time.Second
	tests := []struct {
		name    string
		actions []Action
		check   func(t *testing.T, res *Result, lines []line)
	}{
		{"crash stops a node", []Action{{At: at, Kind: ActCrash, Nodes: []raft.NodeID{2}}, {At: until, Kind: ActRestart, Nodes: []raft.NodeID{2}}},
			func(t *testing.T, res *Result, lines []line) {
				if n := count(lines, func(l line) bool { return l.Node == 2 && l.Ev != "drop" && between(l, at+time.Nanosecond, until) }); n != 0 {
					t.Errorf("crashed node 2 did %d things while down", n)
				}
				if n := count(lines, func(l line) bool { return l.Ev == "drop" && l.Text == DropCrashedReceiver && l.Peer == 2 }); n == 0 {
					t.Error("no message to the crashed node was dropped")
				}
			}},
		{"power loss loses unsynced writes", []Action{{At: at, Kind: ActSlowDisk, Nodes: []raft.NodeID{1, 2, 3, 4, 5}, SyncMin: 50 * time.Millisecond, SyncMax: 50 * time.Millisecond}, {At: at + 100*time.Millisecond, Kind: ActPowerLoss, Leader: true}},
			func(t *testing.T, res *Result, lines []line) {
				var crashed uint64
				for _, l := range lines {
					if l.Ev == "crash" && l.Text == "power_loss" {
						crashed = l.Node
					}
				}
				if crashed == 0 {
					t.Fatal("no power loss in the trace")
				}
				// The restarted node's last index is below the last index it
				// had written before the crash.
				var written, restartedAt uint64
				for _, l := range lines {
					if l.Node == crashed && l.Ev == "persist" && l.T < int64(at+100*time.Millisecond) {
						written = l.Index
					}
					if l.Node == crashed && l.Ev == "restart" && l.T >= int64(at) {
						restartedAt = l.Index
						break
					}
				}
				if restartedAt >= written {
					t.Errorf("node %d wrote up to %d but restarted with %d: nothing unsynced was lost", crashed, written, restartedAt)
				}
			}},
		{"pause defers everything", []Action{{At: at, Kind: ActPause, Nodes: []raft.NodeID{3}}, {At: until, Kind: ActResume, Nodes: []raft.NodeID{3}}},
			func(t *testing.T, res *Result, lines []line) {
				if n := count(lines, func(l line) bool { return l.Node == 3 && l.Ev != "pause" && between(l, at+time.Nanosecond, until) }); n != 0 {
					t.Errorf("paused node 3 did %d things", n)
				}
				if n := count(lines, func(l line) bool { return l.Node == 3 && l.Ev == "deliver" && l.T == int64(until) }); n == 0 {
					t.Error("nothing waiting was delivered on resume")
				}
			}},
		{"resume without nodes resumes the paused leader", []Action{{At: at, Kind: ActPause, Leader: true}, {At: until, Kind: ActResume}},
			func(t *testing.T, res *Result, lines []line) {
				var paused uint64
				for _, l := range lines {
					if l.Ev == "pause" {
						paused = l.Node
					}
				}
				if paused == 0 {
					t.Fatal("no node was paused")
				}
				if n := count(lines, func(l line) bool { return l.Node == paused && l.Ev == "deliver" && l.T == int64(until) }); n == 0 {
					t.Errorf("paused leader %d did not resume at %v", paused, until)
				}
			}},
		{"a leader partition puts the leader in the first group", []Action{{At: at, Kind: ActPartition, Leader: true, Groups: [][]raft.NodeID{{5}, {1, 2, 3, 4}}}, {At: until, Kind: ActHeal}},
			func(t *testing.T, res *Result, lines []line) {
				var old raft.NodeID
				for _, rc := range res.Roles {
					if rc.Time.Duration() < at && rc.Role == raft.RoleLeader {
						old = rc.Node
					}
				}
				var text string
				for _, l := range lines {
					if l.Ev == "action" && strings.HasPrefix(l.Text, "partition") {
						text = l.Text
					}
				}
				if old == 0 {
					t.Fatal("no leader before the partition")
				}
				first := []raft.NodeID{5}
				if old != 5 {
					first = []raft.NodeID{old, 5}
				}
				rest := slices.DeleteFunc([]raft.NodeID{1, 2, 3, 4}, func(id raft.NodeID) bool { return id == old })
				if want := "partition " + groupList([][]raft.NodeID{first, rest}); text != want {
					t.Fatalf("leader %d: the trace says %q, want %q", old, text, want)
				}
				// The majority side elects someone else meanwhile.
				if !slices.ContainsFunc(res.Roles, func(rc RoleChange) bool {
					return rc.Role == raft.RoleLeader && rc.Node != old && rc.Node != 5 && rc.Time.Duration() > at && rc.Time.Duration() < until
				}) {
					t.Errorf("no new leader on the majority side while leader %d was cut off", old)
				}
			}},
		{"one-way cut is one way", []Action{{At: at, Kind: ActCutOneWay, From: 1, To: 2}},
			func(t *testing.T, res *Result, lines []line) {
				after := func(l line) bool { return l.T > int64(at+100*time.Millisecond) && l.T < int64(3*time.Second) }
				if n := count(lines, func(l line) bool { return l.Ev == "deliver" && l.Peer == 1 && l.Node == 2 && after(l) }); n != 0 {
					t.Errorf("%d messages crossed the cut 1->2", n)
				}
				if n := count(lines, func(l line) bool { return l.Ev == "deliver" && l.Peer == 2 && l.Node == 1 && after(l) }); n == 0 {
					t.Error("no message went 2->1")
				}
			}},
		{"bridge reaches both sides", []Action{{At: at, Kind: ActBridge, Nodes: []raft.NodeID{3}, Groups: [][]raft.NodeID{{1, 2}, {4, 5}}}},
			func(t *testing.T, res *Result, lines []line) {
				during := func(l line) bool { return l.T > int64(at+100*time.Millisecond) && l.T < int64(3*time.Second) }
				side := func(n uint64) int {
					switch n {
					case 1, 2:
						return 1
					case 4, 5:
						return 2
					}
					return 0
				}
				if n := count(lines, func(l line) bool {
					return l.Ev == "deliver" && during(l) && side(l.Node)*side(l.Peer) == 2
				}); n != 0 {
					t.Errorf("%d messages crossed between the sides", n)
				}
				for _, s := range []uint64{1, 4} {
					if n := count(lines, func(l line) bool { return l.Ev == "deliver" && during(l) && l.Node == 3 && side(l.Peer) == side(s) }); n == 0 {
						t.Errorf("bridge heard nothing from side of node %d", s)
					}
				}
			}},
		{"clog holds then releases", []Action{{At: at, Kind: ActClog, From: 2, To: 1}, {At: until, Kind: ActUnclog, From: 2, To: 1}},
			func(t *testing.T, res *Result, lines []line) {
				held := count(lines, func(l line) bool { return l.Ev == "hold" && l.Node == 2 && l.Peer == 1 })
				released := count(lines, func(l line) bool { return l.Ev == "deliver" && l.Node == 1 && l.Peer == 2 && l.T == int64(until) })
				if held == 0 || released != held {
					t.Errorf("held %d messages on 2->1, released %d at the unclog", held, released)
				}
			}},
		{"drift changes tick spacing", []Action{{At: 0, Kind: ActClockDrift, Nodes: []raft.NodeID{4}, Drift: 200_000}},
			func(t *testing.T, res *Result, lines []line) {
				ticks := func(node uint64) uint64 {
					var n uint64
					for _, l := range lines {
						if l.Ev == "tick" && l.Node == node && l.T < int64(3*time.Second) {
							n += l.N
						}
					}
					return n
				}
				fast, normal := ticks(4), ticks(5)
				// +20% rate: 360 ticks against 300 in 3s of 10ms ticks.
				if fast*10 < normal*11 {
					t.Errorf("node 4 at +200000ppm ticked %d times, node 5 %d", fast, normal)
				}
			}},
		{"clock jump fires a burst of ticks", []Action{{At: at, Kind: ActClockJump, Nodes: []raft.NodeID{5}, Jump: 80 * time.Millisecond}},
			func(t *testing.T, res *Result, lines []line) {
				if n := count(lines, func(l line) bool { return l.Ev == "tick" && l.Node == 5 && l.T == int64(at) && l.N >= 8 }); n != 1 {
					t.Errorf("jump of 8 ticks: %d bursts at the jump", n)
				}
			}},
		{"crash new leaders hits each new leader soon after its election", []Action{{At: at, Kind: ActCrash, Leader: true}, {At: at, Kind: ActCrashNewLeaders, Until: until, After: 20 * time.Millisecond, RestartAfter: 100 * time.Millisecond}},
			func(t *testing.T, res *Result, lines []line) {
				hit := 0
				for _, tn := range res.Tenures {
					if tn.Elected <= clock.Time(at) || tn.Elected >= clock.Time(until) {
						continue
					}
					if tn.Ended-tn.Elected > clock.Time(20*time.Millisecond) {
						t.Errorf("leader %d elected at %v led until %v, past the nemesis's 20ms", tn.Node, tn.Elected, tn.Ended)
					}
					hit++
				}
				if hit == 0 {
					t.Error("no leader was elected during the nemesis's window")
				}
			}},
		{"slow disk delays syncs", []Action{{At: at, Kind: ActSlowDisk, Nodes: []raft.NodeID{1, 2, 3, 4, 5}, SyncMin: 30 * time.Millisecond, SyncMax: 30 * time.Millisecond}},
			func(t *testing.T, res *Result, lines []line) {
				// Every sync after the change completes 30ms after its write.
				var lastPersist = map[uint64]int64{}
				bad := 0
				for _, l := range lines {
					if l.T <= int64(at) || l.T >= int64(3*time.Second) {
						continue
					}
					switch l.Ev {
					case "persist":
						lastPersist[l.Node] = l.T
					case "sync":
						if p, ok := lastPersist[l.Node]; ok && l.T-p != int64(30*time.Millisecond) {
							bad++
						}
					}
				}
				if bad != 0 {
					t.Errorf("%d syncs did not take 30ms", bad)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quick(5)
			cfg.Timeline = tc.actions
			res, lines := traced(t, cfg)
			requirePass(t, res)
			tc.check(t, res, lines)
		})
	}
}
