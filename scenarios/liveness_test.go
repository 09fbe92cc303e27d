package scenarios

import (
	"testing"
	"time"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/sim"
)

// The generated liveness bounds follow the configuration: slower ticks,
// longer timeouts, slower links and disks, lossier networks, slow clocks
// and clocks set back all give a later bound, and the progress bound
// covers the leader bound plus a client's deadline.
func TestLivenessBoundsFollowTheConfig(t *testing.T) {
	base := func() sim.Config {
		cfg := sim.Defaults()
		cfg.Raft.TickInterval, cfg.Raft.ElectionTicks = 5*time.Millisecond, 8
		cfg.Network = netsim.Reliable(netsim.Uniform(time.Millisecond, 2*time.Millisecond))
		return cfg
	}
	ref := base()
	b := livenessBounds(&ref)
	if b.LeaderWithin < 6*(2*8*5*time.Millisecond) {
		t.Fatalf("leader bound %v is less than six of the longest election timeouts", b.LeaderWithin)
	}
	if want := b.LeaderWithin + ref.Workload.Deadline; b.ProgressWithin < want {
		t.Fatalf("progress bound %v, want at least %v", b.ProgressWithin, want)
	}
	for name, mod := range map[string]func(*sim.Config){
		"tick":    func(c *sim.Config) { c.Raft.TickInterval = 20 * time.Millisecond },
		"timeout": func(c *sim.Config) { c.Raft.ElectionTicks = 15 },
		"link":    func(c *sim.Config) { c.Network.Delay = netsim.Uniform(50*time.Millisecond, 60*time.Millisecond) },
		"tail": func(c *sim.Config) {
			c.Network.Delay = netsim.LongTail(time.Millisecond, 2*time.Millisecond, netsim.Ratio{Num: 1, Den: 10}, 90*time.Millisecond)
		},
		"disk":  func(c *sim.Config) { c.Disk.SyncMax = 40 * time.Millisecond },
		"loss":  func(c *sim.Config) { c.Network.Loss = netsim.Ratio{Num: 1, Den: 10} },
		"drift": func(c *sim.Config) { c.Timeline = []sim.Action{{Kind: sim.ActClockDrift, Drift: -200_000}} },
		"jumpback": func(c *sim.Config) {
			c.Timeline = []sim.Action{{Kind: sim.ActClockJump, Jump: -300 * time.Millisecond}}
		},
	} {
		cfg := base()
		mod(&cfg)
		if got := livenessBounds(&cfg); got.LeaderWithin <= b.LeaderWithin {
			t.Errorf("%s: leader bound %v, not above the reference's %v", name, got.LeaderWithin, b.LeaderWithin)
		}
	}
}

// On the slow disks of crash-restart-power-loss cycles, a message holds
// every client's command; with one entry a message these seeds' clients
// starved (progress-after-heal) in a correct cluster.
func TestSlowDisksCarryEveryClientInOneMessage(t *testing.T) {
	for seed := uint64(1); seed <= 2000; seed++ {
		c := Generate(seed, GenerateOptions{}).Config
		if m := c.Raft.MaxEntriesPerMsg; c.Disk.SyncMax >= slowSync && m != 0 && m < c.Workload.Clients {
			t.Fatalf("seed %d: syncs up to %v, %d clients, %d entries a message", seed, c.Disk.SyncMax, c.Workload.Clients, m)
		}
	}
	for _, seed := range []uint64{3704, 7538} {
		s := Generate(seed, GenerateOptions{})
		res, err := sim.Run(s.Config)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Passed() {
			t.Errorf("seed %d: %v", seed, res.Failures)
		}
	}
}
