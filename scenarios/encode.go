package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// Encode writes s as a scenario file with every setting spelled out, in a
// fixed order. Parse reads it back to an equal Scenario (the round trip
// that reproducers of generated scenarios rely on). The run-time fields of
// sim.Config that are not part of a scenario (Trace, budgets, switches for
// measuring) are not written.
func Encode(s *Scenario) []byte {
	var e encoder
	cfg := &s.Config
	e.kv("name", quote(s.Name))
	if s.Description != "" {
		e.kv("description", quote(s.Description))
	}
	if s.Seed > math.MaxInt64 {
		e.kv("seed", quote(strconv.FormatUint(s.Seed, 10)))
	} else {
		e.kv("seed", strconv.FormatUint(s.Seed, 10))
	}
	if s.Expect.Pass() {
		e.kv("expect", quote("pass"))
	} else {
		e.kv("expect", stringList(s.Expect.Failures))
	}
	e.kv("nodes", strconv.Itoa(cfg.Nodes))
	if cfg.Voters != 0 && cfg.Voters != cfg.Nodes {
		e.kv("voters", strconv.Itoa(cfg.Voters))
	}
	e.kv("duration", quote(formatDuration(cfg.Duration)))
	e.kv("heal_duration", quote(formatDuration(cfg.HealDuration)))
	if cfg.MaxEvents != 0 {
		e.kv("max_events", strconv.FormatUint(cfg.MaxEvents, 10))
	}
	if r := s.Reproducer; r != nil {
		e.table("reproducer")
		e.kv("version", quote(r.Version))
		e.kv("trace_digest", quote(r.TraceDigest))
		e.kv("failures", stringList(r.Failures))
		if r.Planted != "" {
			e.kv("planted", quote(r.Planted))
		}
	}
	e.raft(&cfg.Raft)
	e.table("network")
	e.link(cfg.Network)
	for _, k := range cfg.NetworkKinds {
		e.table("network." + k.Messages.String())
		e.link(k.Link)
	}
	e.table("disk")
	e.kv("sync", quote(formatRange(cfg.Disk.SyncMin, cfg.Disk.SyncMax)))
	if cfg.Disk.ApplyLag > 0 {
		e.kv("apply_lag", quote(formatDuration(cfg.Disk.ApplyLag)))
	}
	if cfg.Disk.Store != sim.StoreMemory {
		e.kv("store", quote(cfg.Disk.Store.String()))
	}
	e.diskRates(cfg.Disk.Rates)
	e.workload(&cfg.Workload)
	e.table("liveness")
	e.kv("leader_within", quote(formatDuration(cfg.Liveness.LeaderWithin)))
	e.kv("progress_within", quote(formatDuration(cfg.Liveness.ProgressWithin)))
	for i := range cfg.Timeline {
		e.action(&cfg.Timeline[i])
	}
	for i := range cfg.Checks {
		e.check(&cfg.Checks[i])
	}
	return []byte(e.b.String())
}

type encoder struct{ b strings.Builder }

func (e *encoder) kv(key, value string) { fmt.Fprintf(&e.b, "%s = %s\n", key, value) }

func (e *encoder) table(name string) { fmt.Fprintf(&e.b, "\n[%s]\n", name) }

func (e *encoder) raft(r *sim.RaftConfig) {
	e.table("raft")
	e.kv("tick_interval", quote(formatDuration(r.TickInterval)))
	e.kv("election_ticks", strconv.Itoa(r.ElectionTicks))
	e.kv("heartbeat_ticks", strconv.Itoa(r.HeartbeatTicks))
	e.kv("prevote", strconv.FormatBool(!r.DisablePreVote))
	e.kv("check_quorum", strconv.FormatBool(!r.DisableCheckQuorum))
	e.kv("read_mode", quote(r.ReadMode.String()))
	e.kv("lease_drift_ticks", strconv.Itoa(r.LeaseDriftTicks))
	e.kv("max_entries_per_msg", strconv.Itoa(r.MaxEntriesPerMsg))
	e.kv("max_inflight_msgs", strconv.Itoa(r.MaxInflightMsgs))
	// Compaction keys only when set, so that files of runs without
	// compaction read as they always did.
	if r.SnapshotEvery != 0 {
		e.kv("snapshot_every", strconv.Itoa(r.SnapshotEvery))
	}
	if r.SnapshotKeep != 0 {
		e.kv("snapshot_keep", strconv.Itoa(r.SnapshotKeep))
	}
	if r.SnapshotChunkBytes != 0 {
		e.kv("snapshot_chunk", quote(formatBytes(r.SnapshotChunkBytes)))
	}
}

func (e *encoder) link(lc netsim.LinkConfig) {
	switch lc.Delay.Kind {
	case netsim.DelayConstant:
		e.kv("delay", quote(formatDuration(lc.Delay.Min)))
	default:
		e.kv("delay", quote(formatDuration(lc.Delay.Min)+rangeSep+formatDuration(lc.Delay.Max)))
	}
	if lc.Delay.Kind == netsim.DelayLongTail {
		e.kv("tail", quote(formatRatio(lc.Delay.TailRatio)))
		e.kv("tail_max", quote(formatDuration(lc.Delay.TailMax)))
	}
	e.kv("loss", quote(formatRatio(lc.Loss)))
	e.kv("duplicate", quote(formatRatio(lc.Duplicate)))
	e.kv("reorder", quote(formatRatio(lc.Reorder.Ratio)))
	e.kv("reorder_window", quote(formatDuration(lc.Reorder.Window)))
	if lc.Bandwidth != 0 {
		e.kv("bandwidth", quote(formatBytes(lc.Bandwidth)+"/s"))
	}
}

func (e *encoder) workload(w *sim.WorkloadConfig) {
	e.table("workload")
	e.kv("clients", strconv.Itoa(w.Clients))
	e.kv("keys", strconv.Itoa(w.Keys))
	e.kv("attempt_timeout", quote(formatDuration(w.Attempt)))
	e.kv("deadline", quote(formatDuration(w.Deadline)))
	e.kv("think", quote(formatDuration(w.Think)))
	e.kv("latency", quote(formatDuration(w.Latency)))
	if w.Sessions.Max > 0 {
		e.kv("sessions", strconv.Itoa(w.Sessions.Max))
	}
	if w.Sessions.IdleEntries > 0 {
		e.kv("session_idle_entries", strconv.FormatUint(uint64(w.Sessions.IdleEntries), 10))
	}
	e.table("workload.mix")
	e.kv("get", strconv.Itoa(w.Mix.Get))
	e.kv("put", strconv.Itoa(w.Mix.Put))
	e.kv("append", strconv.Itoa(w.Mix.Append))
	e.kv("delete", strconv.Itoa(w.Mix.Delete))
	e.kv("cas", strconv.Itoa(w.Mix.CAS))
}

func (e *encoder) action(a *sim.Action) {
	e.b.WriteString("\n[[timeline]]\n")
	if a.Follows {
		e.kv("after", quote(formatRange(a.DelayMin, a.DelayMax)))
	} else {
		e.kv("at", quote(formatDuration(a.At)))
	}
	switch a.Kind {
	case sim.ActWait:
		e.kv("wait", quote(a.Wait.String()))
	case sim.ActPropose:
		e.kv("propose", strconv.Itoa(a.Count))
	case sim.ActSleep:
		e.kv("sleep", quote(formatRange(a.SleepMin, a.SleepMax)))
	default:
		e.kv("action", quote(a.Kind.String()))
	}
	if a.Label != "" {
		e.kv("label", quote(a.Label))
	}
	if a.Chance.Den != 0 {
		e.kv("chance", quote(formatRatio(a.Chance)))
	}
	if !a.When.IsZero() {
		e.kv("when", quote(a.When.String()))
	}
	for _, k := range actionKeys[a.Kind] {
		switch k {
		case "nodes":
			if len(a.Nodes)+len(a.Names) > 0 {
				e.kv("nodes", targetList(a.Nodes, a.Names))
			}
		case "leader", "follower", "except_leader", "require":
			on := map[string]bool{"leader": a.Leader, "follower": a.Follower, "except_leader": a.ExceptLeader, "require": a.Require}
			if on[k] {
				e.kv(k, "true")
			}
		case "random":
			if a.Random > 0 {
				e.kv("random", strconv.Itoa(a.Random))
			}
		case "leader_and":
			if a.LeaderAnd > 0 {
				e.kv("leader_and", strconv.Itoa(a.LeaderAnd))
			}
		case "as":
			if a.As != "" {
				e.kv("as", quote(a.As))
			}
		case "except":
			if len(a.Except)+len(a.ExceptNames) > 0 {
				e.kv("except", targetList(a.Except, a.ExceptNames))
			}
		case "retry":
			if a.Retry {
				e.kv("retry", "true")
			}
		case "messages":
			if a.Messages != sim.MessagesAll || len(a.MsgTypes) > 0 {
				e.kv("messages", messagesValue(a))
			}
		case "outlive_heal":
			if a.OutliveHeal {
				e.kv("outlive_heal", "true")
			}
		case "groups":
			parts := make([]string, len(a.Groups))
			for i, g := range a.Groups {
				parts[i] = nodeList(g)
			}
			e.kv("groups", "["+strings.Join(parts, ", ")+"]")
		case "from":
			if a.From != 0 {
				e.kv("from", strconv.FormatUint(uint64(a.From), 10))
			}
		case "to":
			if a.To != 0 {
				e.kv("to", strconv.FormatUint(uint64(a.To), 10))
			}
		case "sync":
			e.kv("sync", quote(formatRange(a.SyncMin, a.SyncMax)))
		case "drift_ppm":
			e.kv("drift_ppm", strconv.Itoa(int(a.Drift)))
		case "jump":
			e.kv("jump", quote(formatDuration(a.Jump)))
		case "until":
			if a.Until != 0 {
				e.kv("until", quote(formatDuration(a.Until)))
			}
		case "fault":
			e.kv("fault", quote(a.DiskFault.String()))
		case "within":
			switch {
			case withinIsAfter(a.Kind):
				e.kv("within", quote(formatDuration(a.After)))
			case a.Within != 0 || !a.Kind.IsMembership():
				e.kv("within", quote(formatDuration(a.Within)))
			}
		case "on":
			if a.On != sim.OnMajority {
				e.kv("on", onValue(a.On))
			}
		case "of":
			if a.AllProposals {
				e.kv("of", quote("all"))
			}
		case "restart_after", "reconnect_after":
			e.kv(k, quote(formatRange(a.RestartAfter, max(a.RestartAfter, a.RestartAfterMax))))
		case "include_leader":
			if a.IncludeLeader {
				e.kv("include_leader", "true")
			}
		case "power_loss":
			if a.PowerLoss {
				e.kv("power_loss", "true")
			}
		case "sender":
			if a.Sender {
				e.kv("sender", "true")
			}
		case "with":
			if len(a.With) > 0 {
				e.kv("with", nodeList(a.With))
			}
		case "joint":
			if a.Joint {
				e.kv("joint", "true")
			}
		}
	}
	if a.Kind == sim.ActLink {
		e.link(a.Link)
	}
}

func nodeList(ids []raft.NodeID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(uint64(id), 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// targetList writes node IDs, then names: [1, 2, "old_leader"].
func targetList(ids []raft.NodeID, names []string) string {
	parts := make([]string, 0, len(ids)+len(names))
	for _, id := range ids {
		parts = append(parts, strconv.FormatUint(uint64(id), 10))
	}
	for _, n := range names {
		parts = append(parts, quote(n))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func stringList(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = quote(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
