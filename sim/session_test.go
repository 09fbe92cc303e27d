package sim

import (
	"testing"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft/kv"
)

// With a session table smaller than the clients, under a flaky network and
// a leader crash, sessions are evicted and expire under operations, some
// of them retries: each such operation ends failed or unknown, never
// applied twice, and every check passes (linearizability, the online
// invariants with client at-most-once, liveness).
func TestBoundedSessionsKeepTheChecksExact(t *testing.T) {
	var regs, expired, unknown uint64
	for seed := uint64(1); seed <= 3; seed++ {
		cfg := quick(seed)
		cfg.Network = flaky()
		cfg.Workload.Clients = 6
		cfg.Workload.Sessions = kv.SessionLimits{Max: 4, IdleEntries: 400}
		cfg.Timeline = []Action{{At: time.Second, Kind: ActCrash, Leader: true}}
		res := mustRun(t, cfg)
		requirePass(t, res)
		if res.Linearizability.Verdict != checker.VerdictOK {
			t.Fatalf("seed %d: linearizability %v", seed, res.Linearizability)
		}
		regs += res.Stats.Registrations
		expired += res.Stats.SessionsExpired
		unknown += res.Stats.OpsUnknown
		t.Logf("seed %d: %d ops (%d ok, %d failed, %d unknown), %d registrations, %d answered session expired",
			seed, res.Stats.Ops, res.Stats.OpsOK, res.Stats.OpsFailed, res.Stats.OpsUnknown, res.Stats.Registrations, res.Stats.SessionsExpired)
	}
	if regs <= 3*6 || expired == 0 {
		t.Fatalf("%d registrations, %d operations on expired sessions: the table never filled", regs, expired)
	}
}

// Unbounded sessions (the default) register nothing: runs, and their
// digests, are what they were.
func TestUnboundedSessionsRegisterNothing(t *testing.T) {
	res := mustRun(t, quick(1))
	if res.Stats.Registrations != 0 || res.Stats.SessionsExpired != 0 {
		t.Fatalf("%d registrations, %d expired", res.Stats.Registrations, res.Stats.SessionsExpired)
	}
}

func TestSessionConfigErrors(t *testing.T) {
	cfg := quick(1)
	cfg.Workload.Sessions = kv.SessionLimits{Max: 4}
	cfg.Timeline = []Action{{At: time.Second, Kind: ActPropose, Count: 1}}
	if err := cfg.Validate(); err == nil || err.Error() != "workload.sessions: timeline action 1 proposes with sessions of its own, which a bounded table refuses" {
		t.Fatalf("bounded sessions with a propose action: %v", err)
	}
	cfg = quick(1)
	cfg.Workload.Sessions = kv.SessionLimits{IdleEntries: 4}
	if err := cfg.Validate(); err == nil {
		t.Fatal("an idle bound without a table bound passed")
	}
}
