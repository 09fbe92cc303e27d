package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// Every duration at the largest value Validate accepts runs without a
// panic: the bound leaves room for every sum the simulator makes.
func TestLongestDurationsRun(t *testing.T) {
	base := func() Config {
		cfg := Defaults()
		cfg.Nodes = 3
		cfg.Workload.Clients = 2
		cfg.Duration = 200 * time.Millisecond
		cfg.HealDuration = 0
		return cfg
	}
	const m = MaxDuration
	cases := map[string]func(*Config){
		"think":         func(c *Config) { c.Workload.Think = m },
		"latency":       func(c *Config) { c.Workload.Latency = m },
		"deadline":      func(c *Config) { c.Workload.Attempt, c.Workload.Deadline = m, m },
		"disk sync":     func(c *Config) { c.Disk.SyncMin, c.Disk.SyncMax = m, m },
		"tick interval": func(c *Config) { c.Raft.TickInterval = m },
		"run":           func(c *Config) { c.Duration, c.HealDuration, c.Workload.Clients = m/2, m/2, 0; c.MaxEvents = 100_000 },
		"liveness": func(c *Config) {
			c.HealDuration, c.Liveness = m-c.Duration, LivenessConfig{LeaderWithin: m - c.Duration, ProgressWithin: m - c.Duration}
			c.Workload.Clients, c.MaxEvents = 0, 200_000
		},
		"jump": func(c *Config) {
			c.Timeline = []Action{{At: time.Millisecond, Kind: ActClockJump, Nodes: []raft.NodeID{1}, Jump: m}}
		},
		"backward jump": func(c *Config) {
			c.Timeline = []Action{{At: time.Millisecond, Kind: ActClockJump, Nodes: []raft.NodeID{1}, Jump: -m}}
		},
		"restart after": func(c *Config) {
			c.Timeline = []Action{{At: time.Millisecond, Kind: ActCrashNewLeaders, Until: c.Duration, RestartAfter: m}}
		},
		"restart after range": func(c *Config) {
			c.Timeline = []Action{{At: time.Millisecond, Kind: ActCrashNewLeaders, Until: c.Duration, RestartAfter: time.Millisecond, RestartAfterMax: m}}
		},
		"wait within": func(c *Config) {
			c.Timeline = []Action{{At: 100 * time.Millisecond, Kind: ActWait, Wait: WaitLeader, Within: m}}
		},
		"sleep": func(c *Config) {
			c.Timeline = []Action{{At: 100 * time.Millisecond, Kind: ActSleep, SleepMin: m, SleepMax: m}}
		},
		"after": func(c *Config) {
			c.Timeline = []Action{
				{At: 100 * time.Millisecond, Kind: ActSleep, SleepMin: time.Millisecond, SleepMax: time.Millisecond},
				{Follows: true, DelayMin: m, DelayMax: m, Kind: ActHeal},
			}
		},
		"check within": func(c *Config) {
			c.Checks = []Check{{Kind: CheckProgressWithin, From: Anchor{Offset: 100 * time.Millisecond}, Within: m}}
		},
		"probe every": func(c *Config) { c.Probe, c.ProbeEvery = func(ProbeSample) {}, m },
	}
	for name, mod := range cases {
		cfg := base()
		mod(&cfg)
		res, err := Run(cfg)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, f := range res.Failures {
			if f.Kind == FailurePanic {
				t.Errorf("%s: %v", name, f)
			}
		}
	}
	for name, mod := range cases {
		if name == "run" || name == "liveness" {
			continue // Bounded as sums: TestParseRejectsImpossibleDurations.
		}
		over := base()
		mod(&over)
		if err := over.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		moved := false
		forEachDuration(&over, func(d *time.Duration) {
			switch *d {
			case m:
				*d, moved = m+1, true
			case -m:
				*d, moved = -m-1, true
			}
		})
		if err := over.Validate(); !moved || err == nil || !strings.Contains(err.Error(), "beyond the longest virtual duration") {
			t.Errorf("%s one past the longest duration: %v", name, err)
		}
	}
}

// forEachDuration calls f on the durations of cfg that the cases above
// set: the sections' and those of every timeline entry and check.
func forEachDuration(cfg *Config, f func(*time.Duration)) {
	for _, d := range []*time.Duration{
		&cfg.Raft.TickInterval, &cfg.Disk.SyncMin, &cfg.Disk.SyncMax, &cfg.Workload.Think, &cfg.Workload.Latency,
		&cfg.Workload.Attempt, &cfg.Workload.Deadline, &cfg.ProbeEvery, &cfg.Liveness.LeaderWithin, &cfg.Liveness.ProgressWithin,
	} {
		f(d)
	}
	for i := range cfg.Timeline {
		a := &cfg.Timeline[i]
		for _, d := range []*time.Duration{&a.Jump, &a.RestartAfter, &a.RestartAfterMax, &a.Within, &a.SleepMin, &a.SleepMax, &a.DelayMin, &a.DelayMax} {
			f(d)
		}
	}
	for i := range cfg.Checks {
		f(&cfg.Checks[i].Within)
	}
}

// A bound past the healing phase is never reached: the run says it did
// not check liveness, instead of passing as if it had.
func TestLivenessPastTheHealingPhaseIsNotChecked(t *testing.T) {
	cfg := Defaults()
	cfg.Nodes, cfg.Duration, cfg.HealDuration = 3, time.Second, time.Second
	if err := cfg.ValidateLiveness(); err == nil {
		t.Fatal("ValidateLiveness accepted bounds of 3s and 8s in a healing phase of 1s")
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.LivenessChecked {
		t.Fatal("LivenessChecked for a run that ended before its bounds")
	}
	cfg.HealDuration = 8 * time.Second
	if res, err = Run(cfg); err != nil || !res.LivenessChecked || !res.Passed() {
		t.Fatalf("with the bounds inside the healing phase: %v, checked %v, %v", err, res.LivenessChecked, res.Failures)
	}
}
