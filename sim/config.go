package sim

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/raft/kv"
)

// Config describes one run. Together with Seed it determines the run
// completely: the same Config gives a byte-identical trace.
type Config struct {
	// Seed derives every random choice of the run, one PCG stream per
	// concern (each node's Raft, the network, each client, the disks).
	Seed uint64
	// Nodes is the number of servers; nodes are numbered 1..Nodes.
	Nodes int
	// Voters is the initial configuration's size: nodes 1..Voters vote,
	// and the others are spares, idle and no members until a membership
	// action adds them (§6). Zero means every node.
	Voters int
	Raft   RaftConfig
	// Network is the default setting of every directed link;
	// NetworkKinds override it for some messages (links.go).
	Network      netsim.LinkConfig
	NetworkKinds []KindLink
	Disk         DiskConfig
	// Workload is the client load. Zero clients make an idle cluster.
	Workload WorkloadConfig
	// Timeline holds the fault actions, at virtual times in [0, Duration).
	Timeline []Action
	// Checks are assertions over windows of the run (checks.go).
	Checks []Check
	// Duration is the fault phase. Then the healing phase begins: every
	// fault is cleared, crashed nodes restart, and liveness is checked.
	Duration time.Duration
	// HealDuration is the healing phase's length.
	HealDuration time.Duration
	// Liveness bounds the healing phase's expectations.
	Liveness LivenessConfig
	// MaxEvents bounds the run; reaching it is reported as a failure, never
	// as a hang. Zero means 50 million.
	MaxEvents uint64
	// Trace, when set, receives the canonical trace as JSON lines. The
	// digest is computed either way.
	Trace io.Writer
	// DisableInvariants turns off the online invariant checks (for
	// measuring their cost).
	DisableInvariants bool
	// LinearizabilityBudget bounds the porcupine check; zero means 10s.
	// When it runs out the verdict is inconclusive, never a pass.
	LinearizabilityBudget time.Duration
	// CheckLimits bounds the online linearizability check (zero fields:
	// the checker's defaults); its Budget is LinearizabilityBudget, if set.
	CheckLimits checker.LinearizabilityOptions
	// SkipLinearizability leaves the history unchecked.
	SkipLinearizability bool
	// Probe, when set, is called every ProbeEvery of virtual time with how
	// much log the nodes hold (probe.go), for benchmarks that follow a
	// run over time. It must only read what it is given.
	Probe      func(ProbeSample)
	ProbeEvery time.Duration
	// HistoryLimit is how many operations Result.History keeps (the first
	// to complete): DefaultHistoryLimit if zero, none if negative; every
	// one when VisualizationPath is set, since the visualization draws the
	// whole history. The check and Result.Ops cover every operation
	// either way.
	HistoryLimit int
	// HistorySink, when set, receives every operation once it and every
	// operation invoked before it have completed: the whole history, in
	// invocation order, in memory bounded by the operations in flight.
	HistorySink func(checker.Operation)
	// VisualizationPath, when set, receives porcupine's HTML
	// visualization of the first key whose history is not linearizable.
	VisualizationPath string
}

// RaftConfig is the Raft configuration every node runs with.
type RaftConfig struct {
	// TickInterval is the length of one Raft tick on a node's own clock.
	TickInterval       time.Duration
	ElectionTicks      int
	HeartbeatTicks     int
	DisablePreVote     bool
	DisableCheckQuorum bool
	ReadMode           raft.ReadMode
	LeaseDriftTicks    int
	MaxEntriesPerMsg   int
	MaxInflightMsgs    int
	// SnapshotEvery, SnapshotKeep and SnapshotChunkBytes are raft.Config's
	// compaction policy and chunk size: every node compacts its log once
	// its state machine has applied SnapshotEvery entries since its last
	// snapshot (0: never). Zero SnapshotChunkBytes is raft's default.
	SnapshotEvery      int
	SnapshotKeep       int
	SnapshotChunkBytes uint64
}

// DiskConfig sets how long a sync takes; each sync draws from
// [SyncMin, SyncMax].
type DiskConfig struct {
	SyncMin, SyncMax time.Duration
	// ApplyLag, when positive, is how long after a Ready hands out
	// committed entries the state machine applies them, as on a server
	// whose state machine applies (and writes to its own disk) on a thread
	// of its own: the node goes on, and reads must wait for the apply.
	// Zero applies them at once, before Advance.
	ApplyLag time.Duration
	// Store is what keeps each node's log and hard state: StoreMemory
	// (the zero value: raft.MemoryStorage, fast, faultless but for losing
	// unsynced writes), or StoreFile (the real raft/filestore on a
	// simulated disk of its own, storage.go).
	Store StoreKind
	// Rates are disk faults each node's disk draws on every operation of
	// their kind during the fault phase (StoreFile only; diskfaults.go):
	// errors on any node, latent faults (misdirected writes, stale
	// reads) on the corruption budget's nodes only.
	Rates disk.Rates
}

// diskSim is the configuration of each node's simulated disk. Stale
// reads need the sectors' history, kept only when a run may ask for one.
func (c *Config) diskSim() disk.SimConfig {
	keep := c.Disk.Rates.StaleRead.Num > 0
	for i := range c.Timeline {
		keep = keep || c.Timeline[i].Kind == ActDiskFault && c.Timeline[i].DiskFault == disk.FaultStaleRead
	}
	return disk.SimConfig{KeepSectorHistory: keep}
}

// StoreKind selects a node's storage (DiskConfig.Store).
type StoreKind uint8

const (
	// StoreMemory is raft.MemoryStorage.
	StoreMemory StoreKind = iota
	// StoreFile is raft/filestore on a simulated disk (raft/disk.Sim).
	StoreFile
	storeKindLimit
)

func (k StoreKind) String() string {
	switch k {
	case StoreMemory:
		return "memory"
	case StoreFile:
		return "file"
	}
	return fmt.Sprintf("StoreKind(%d)", uint8(k))
}

// Mix weighs the operation kinds a client draws. Weights are integers.
type Mix struct {
	Get, Put, Append, Delete, CAS int
}

func (m Mix) total() int { return m.Get + m.Put + m.Append + m.Delete + m.CAS }

// WorkloadConfig is the client load: each client is a process with at most
// one operation outstanding, as in Jepsen.
type WorkloadConfig struct {
	Clients int
	// Keys is the size of the key space ("k0" ... ).
	Keys int
	Mix  Mix
	// Attempt is how long a client waits for one attempt before trying
	// another node with the same session sequence number.
	Attempt time.Duration
	// Deadline is how long a client keeps retrying one operation before
	// it gives up (outcome unknown, or failed if no attempt could have
	// taken effect).
	Deadline time.Duration
	// Think is the pause between a client's operations; zero means back
	// to back.
	Think time.Duration
	// Latency is the one-way delay between a client and a node. Clients
	// stand beside the nodes: partitions between nodes do not cut them off.
	Latency time.Duration
	// Sessions bounds every node's session table (kv.SessionLimits). With
	// Max set, a client registers a session before its first operation,
	// and again after the session expired (the operation then ends failed,
	// or unknown if an earlier attempt may have been applied). Zero: no
	// bound and no registration.
	Sessions kv.SessionLimits
}

// LivenessConfig bounds, from the start of the healing phase, when a
// leader must have committed an entry of its term and when every client
// must have completed an operation invoked after the healing began.
type LivenessConfig struct {
	LeaderWithin   time.Duration
	ProgressWithin time.Duration
}

// Defaults returns the standard configuration: 5 nodes, ticks of 10ms,
// heartbeat every tick, election timeout 100-200ms, a reliable network of
// 1-5ms, and 10 clients.
func Defaults() Config {
	return Config{
		Nodes: 5,
		Raft: RaftConfig{
			TickInterval: 10 * time.Millisecond, ElectionTicks: 10, HeartbeatTicks: 1,
			ReadMode: raft.ReadIndex,
		},
		Network: netsim.Reliable(netsim.Uniform(time.Millisecond, 5*time.Millisecond)),
		Disk:    DiskConfig{SyncMin: 100 * time.Microsecond, SyncMax: 2 * time.Millisecond},
		Workload: WorkloadConfig{
			Clients: 10, Keys: 10,
			Mix:     Mix{Get: 30, Put: 20, Append: 30, Delete: 5, CAS: 15},
			Attempt: 500 * time.Millisecond, Deadline: 5 * time.Second,
			Latency: 500 * time.Microsecond,
		},
		Duration:     10 * time.Second,
		HealDuration: 10 * time.Second,
		Liveness:     LivenessConfig{LeaderWithin: 3 * time.Second, ProgressWithin: 8 * time.Second},
	}
}

// StandardLoad is the reference workload that benchmarks and reports
// measure: 5 nodes, 10 clients issuing operations back to back,
// heartbeat 10ms, election timeout 100-200ms, a flaky network (5% loss,
// 5% duplication, long-tail delays of 1-50ms), 60 virtual seconds of
// which the last 10 are the healing phase.
func StandardLoad(seed uint64) Config {
	cfg := Defaults()
	cfg.Seed = seed
	cfg.Network = netsim.Reliable(netsim.LongTail(time.Millisecond, 10*time.Millisecond, netsim.Ratio{Num: 1, Den: 10}, 50*time.Millisecond))
	cfg.Network.Loss = netsim.Ratio{Num: 5, Den: 100}
	cfg.Network.Duplicate = netsim.Ratio{Num: 5, Den: 100}
	cfg.Duration = 50 * time.Second
	cfg.HealDuration = 10 * time.Second
	return cfg
}

// maxSnapshotChunkBytes bounds a snapshot chunk, like a message.
const maxSnapshotChunkBytes = 64 << 20

// The largest cluster and client count Validate accepts; the scenario
// decoder names the same bounds.
const (
	MaxNodes   = 15
	MaxClients = 10_000
)

// Validate reports the first problem with c, naming the field.
func (c *Config) Validate() error {
	if c.Nodes < 1 || c.Nodes > MaxNodes {
		return fmt.Errorf("nodes: %d is outside [1, %d]", c.Nodes, MaxNodes)
	}
	if c.Voters < 0 || c.Voters > c.Nodes {
		return fmt.Errorf("voters: %d is outside [1, nodes=%d]", c.Voters, c.Nodes)
	}
	r := c.Raft
	if r.TickInterval <= 0 {
		return fmt.Errorf("raft.tick_interval: %v must be positive", r.TickInterval)
	}
	if r.ElectionTicks < 2 {
		return fmt.Errorf("raft.election_ticks: %d must be at least 2", r.ElectionTicks)
	}
	if r.HeartbeatTicks < 1 || r.HeartbeatTicks >= r.ElectionTicks {
		return fmt.Errorf("raft.heartbeat_ticks: %d must be in [1, election_ticks=%d)", r.HeartbeatTicks, r.ElectionTicks)
	}
	if r.ReadMode != raft.ReadIndex && r.ReadMode != raft.ReadLease {
		return fmt.Errorf("raft.read_mode: %d is not a read mode", r.ReadMode)
	}
	if r.ReadMode == raft.ReadLease && r.DisableCheckQuorum {
		return errors.New("raft.read_mode: lease reads require check_quorum")
	}
	if r.LeaseDriftTicks < 0 || r.LeaseDriftTicks >= r.ElectionTicks {
		return fmt.Errorf("raft.lease_drift_ticks: %d must be in [0, election_ticks=%d)", r.LeaseDriftTicks, r.ElectionTicks)
	}
	if r.MaxEntriesPerMsg < 0 || r.MaxInflightMsgs < 0 {
		return errors.New("raft.max_entries_per_msg and raft.max_inflight_msgs must not be negative")
	}
	if r.SnapshotEvery < 0 || r.SnapshotKeep < 0 {
		return errors.New("raft.snapshot_every and raft.snapshot_keep must not be negative")
	}
	if r.SnapshotChunkBytes > maxSnapshotChunkBytes {
		return fmt.Errorf("raft.snapshot_chunk: %d bytes is more than %d", r.SnapshotChunkBytes, maxSnapshotChunkBytes)
	}
	if err := c.Network.Validate(); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	for i := range c.NetworkKinds {
		if err := c.NetworkKinds[i].validate(); err != nil {
			return fmt.Errorf("network.%s: %w", c.NetworkKinds[i].Messages, err)
		}
	}
	if c.Disk.SyncMin < 0 || c.Disk.SyncMax < c.Disk.SyncMin {
		return fmt.Errorf("disk: sync latency [%v, %v] is not a valid range", c.Disk.SyncMin, c.Disk.SyncMax)
	}
	if c.Disk.Store >= storeKindLimit {
		return fmt.Errorf("disk.store: %v is not a store", c.Disk.Store)
	}
	if err := c.Disk.Rates.Validate(); err != nil {
		return fmt.Errorf("disk.faults.%w", err)
	}
	if c.Disk.Rates != (disk.Rates{}) && c.Disk.Store != StoreFile {
		return errors.New(`disk.faults: disk faults hit the file store: set [disk] store = "file"`)
	}
	if c.Disk.ApplyLag < 0 {
		return fmt.Errorf("disk.apply_lag: %v must not be negative", c.Disk.ApplyLag)
	}
	w := c.Workload
	if w.Clients < 0 || w.Clients > MaxClients {
		return fmt.Errorf("workload.clients: %d is outside [0, %d]", w.Clients, MaxClients)
	}
	if w.Clients > 0 {
		if w.Keys < 1 {
			return fmt.Errorf("workload.keys: %d must be at least 1", w.Keys)
		}
		for _, f := range []struct {
			name string
			v    int
		}{{"get", w.Mix.Get}, {"put", w.Mix.Put}, {"append", w.Mix.Append}, {"delete", w.Mix.Delete}, {"cas", w.Mix.CAS}} {
			if f.v < 0 {
				return fmt.Errorf("workload.mix.%s: weight %d is negative", f.name, f.v)
			}
		}
		if w.Mix.total() == 0 {
			return errors.New("workload.mix: every weight is zero")
		}
		if w.Attempt <= 0 {
			return fmt.Errorf("workload.attempt_timeout: %v must be positive", w.Attempt)
		}
		if w.Deadline < w.Attempt {
			return fmt.Errorf("workload.deadline: %v is shorter than one attempt (%v)", w.Deadline, w.Attempt)
		}
		if w.Think < 0 || w.Latency < 0 {
			return errors.New("workload.think and workload.latency must not be negative")
		}
	}
	if err := c.validateSessions(); err != nil {
		return err
	}
	if c.Duration <= 0 {
		return fmt.Errorf("duration: %v must be positive", c.Duration)
	}
	if c.HealDuration < 0 {
		return fmt.Errorf("heal_duration: %v must not be negative", c.HealDuration)
	}
	if c.Liveness.LeaderWithin < 0 || c.Liveness.ProgressWithin < 0 {
		return errors.New("liveness bounds must not be negative")
	}
	if err := c.validateDurations(); err != nil {
		return err
	}
	if err := c.validateProbe(); err != nil {
		return err
	}
	for i := range c.Timeline {
		if err := c.Timeline[i].validate(c); err != nil {
			return fmt.Errorf("timeline[%d] (%s at %v): %w", i, c.Timeline[i].Kind, c.Timeline[i].At, err)
		}
	}
	if err := validateNames(c.Timeline); err != nil {
		return err
	}
	if err := validateScript(c.Timeline); err != nil {
		return err
	}
	return c.validateChecks()
}

// initialVoters is the size of the initial configuration.
func (c *Config) initialVoters() int {
	if c.Voters == 0 {
		return c.Nodes
	}
	return c.Voters
}

// end is the virtual time at which the run stops.
func (c *Config) end() clock.Time {
	return clock.Time(0).Add(c.Duration + c.HealDuration)
}

// MaxDuration bounds the run (fault and healing phases together) and every
// duration of a Config. Virtual time is an int64 count of nanoseconds,
// about 292 years, and the simulator adds durations to times (a send time
// plus a delay, an invocation plus a deadline, a clock plus a jump): with
// every term below 1,000 hours, no sum of them can overflow, and no run
// comes near the bound.
const MaxDuration = 1000 * time.Hour

// validateDurations checks every duration against MaxDuration, naming the
// field.
func (c *Config) validateDurations() error {
	check := func(field string, d time.Duration) error {
		if d > MaxDuration || d < -MaxDuration {
			return fmt.Errorf("%s: %v is beyond the longest virtual duration, %v", field, d, MaxDuration)
		}
		return nil
	}
	if c.Duration > MaxDuration || c.HealDuration > MaxDuration || c.Duration+c.HealDuration > MaxDuration {
		return fmt.Errorf("duration: %v of faults and %v of healing make a run longer than the longest virtual duration, %v", c.Duration, c.HealDuration, MaxDuration)
	}
	w := c.Workload
	for _, f := range []struct {
		field string
		d     time.Duration
	}{
		{"raft.tick_interval", c.Raft.TickInterval},
		{"disk.sync", c.Disk.SyncMax}, {"disk.apply_lag", c.Disk.ApplyLag},
		{"workload.attempt_timeout", w.Attempt}, {"workload.deadline", w.Deadline},
		{"workload.think", w.Think}, {"workload.latency", w.Latency},
		{"liveness.leader_within", c.Liveness.LeaderWithin}, {"liveness.progress_within", c.Liveness.ProgressWithin},
		{"probe_every", c.ProbeEvery},
	} {
		if err := check(f.field, f.d); err != nil {
			return err
		}
	}
	if err := checkLinkDurations("network", c.Network); err != nil {
		return err
	}
	var jumps time.Duration
	for i := range c.Timeline {
		a := &c.Timeline[i]
		err := checkLinkDurations("link", a.Link)
		for _, f := range []struct {
			field string
			d     time.Duration
		}{
			{"sync", a.SyncMax}, {"jump", a.Jump}, {"until", a.Until}, {"after", a.After},
			{"restart_after", a.RestartAfter}, {"restart_after", a.RestartAfterMax},
			{"after", a.DelayMax}, {"within", a.Within}, {"sleep", a.SleepMax},
		} {
			if err == nil {
				err = check(f.field, f.d)
			}
		}
		if jumps += max(a.Jump, -a.Jump); err == nil && jumps > MaxDuration {
			err = fmt.Errorf("jump: the clock jumps up to here add up to %v, beyond the longest virtual duration, %v", jumps, MaxDuration)
		}
		if err != nil {
			return fmt.Errorf("timeline[%d] (%s at %v): %w", i, a.Kind, a.At, err)
		}
	}
	for i := range c.Checks {
		if ch := &c.Checks[i]; ch.Kind.timed() {
			if err := check(ch.Kind.String(), ch.Within); err != nil {
				return fmt.Errorf("checks[%d] (%s): %w", i, ch.Kind, err)
			}
		}
	}
	return nil
}

// checkLinkDurations bounds the delays of a link setting.
func checkLinkDurations(field string, lc netsim.LinkConfig) error {
	for _, d := range []time.Duration{lc.Delay.Max, lc.Delay.TailMax, lc.Reorder.Window} {
		if d > MaxDuration {
			return fmt.Errorf("%s: a delay of %v is beyond the longest virtual duration, %v", field, d, MaxDuration)
		}
	}
	return nil
}

// ValidateLiveness reports a liveness bound that falls after the end of
// the healing phase: the run would end before checking it. Validate
// allows such a configuration (the Result then says liveness was not
// checked: Result.LivenessChecked); a scenario file with one is an error.
func (c *Config) ValidateLiveness() error {
	if c.HealDuration == 0 {
		return nil // No healing phase: no liveness check, and the result says so.
	}
	for _, b := range []struct {
		field string
		d     time.Duration
	}{{"liveness.leader_within", c.Liveness.LeaderWithin}, {"liveness.progress_within", c.Liveness.ProgressWithin}} {
		if b.d > c.HealDuration {
			return fmt.Errorf("heal_duration: %v is shorter than %s (%v): the run would end before checking it; lengthen heal_duration or shorten the bound", c.HealDuration, b.field, b.d)
		}
	}
	return nil
}

// maxSessions bounds workload.sessions.
const maxSessions = 1_000_000

// validateSessions checks the session limits. Scenario proposals (the
// propose action) carry sessions of their own that never register, so a
// bounded table would refuse them all: the two do not go together.
func (c *Config) validateSessions() error {
	l := c.Workload.Sessions
	if l.Max < 0 || l.Max > maxSessions {
		return fmt.Errorf("workload.sessions: %d is outside [0, %d]", l.Max, maxSessions)
	}
	if l.Max == 0 && l.IdleEntries != 0 {
		return errors.New("workload.session_idle_entries: needs workload.sessions (a bounded table)")
	}
	if l.Max > 0 {
		for i, a := range c.Timeline {
			if a.Kind == ActPropose {
				return fmt.Errorf("workload.sessions: timeline action %d proposes with sessions of its own, which a bounded table refuses", i+1)
			}
		}
	}
	return nil
}
