package scenarios

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// maxFileBytes bounds a scenario file, so a wrong path (a log, a disk
// image) ends in an error rather than in a long parse.
const maxFileBytes = 1 << 20

// Load reads and parses the scenario file at path.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read the scenario: " + describeOSError(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read the scenario: " + describeOSError(err)}
	}
	return Parse(path, data)
}

// describeOSError drops the path an *os.PathError repeats.
func describeOSError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse reads a scenario from data; file names it in errors and, unless
// the file sets a name, gives the scenario its name. Bad content is
// reported as an *Error naming file, line and field.
func Parse(file string, data []byte) (*Scenario, error) {
	if len(data) > maxFileBytes {
		return nil, &Error{File: file, Msg: fmt.Sprintf("larger than %d bytes: not a scenario file", maxFileBytes)}
	}
	if !utf8.Valid(data) {
		return nil, &Error{File: file, Msg: "not UTF-8 text: not a scenario file"}
	}
	if err := checkNesting(file, data); err != nil {
		return nil, err
	}
	var m map[string]any
	if _, err := toml.Decode(string(data), &m); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: file, Line: pe.Position.Line, Field: pe.LastKey, Msg: pe.Message}
		}
		return nil, &Error{File: file, Msg: err.Error()}
	}
	d := &decoder{file: file, pos: indexPositions(string(data))}
	s := decodeScenario(d, d.root(m), file)
	if !d.ok() {
		return nil, d.err
	}
	err := s.Config.Validate()
	if err == nil {
		err = s.Config.ValidateLiveness()
	}
	if err != nil {
		path, msg := locateConfigError(err.Error())
		path = d.pos.spelling(path)
		return nil, &Error{File: file, Line: d.pos.line(path), Field: path, Msg: msg}
	}
	return s, nil
}

// namePattern keeps scenario names usable in file names and commands.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// failureNamePattern is the form of sim failure kinds and names.
var failureNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// defaultName derives a scenario's name from its file name.
func defaultName(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	if !namePattern.MatchString(name) {
		return "scenario"
	}
	return name
}

func decodeScenario(d *decoder, root *table, file string) *Scenario {
	s := &Scenario{Name: defaultName(file)}
	if root.str("name", &s.Name) && !namePattern.MatchString(s.Name) {
		root.fail("name", "%q: use letters, digits, '-', '_' and '.', at most 64 characters", s.Name)
	}
	root.str("description", &s.Description)
	decodeSeed(root, &s.Seed)
	s.Expect = decodeExpect(root)
	cfg := sim.Defaults()
	root.intField("nodes", 1, sim.MaxNodes, &cfg.Nodes)
	root.intField("voters", 1, sim.MaxNodes, &cfg.Voters)
	root.duration("duration", &cfg.Duration)
	root.duration("heal_duration", &cfg.HealDuration)
	var maxEvents int64
	if root.integer("max_events", 0, math.MaxInt64, &maxEvents) {
		cfg.MaxEvents = uint64(maxEvents)
	}
	if t := root.sub("raft"); t != nil {
		decodeRaft(t, &cfg.Raft)
	}
	if t := root.sub("network"); t != nil {
		cfg.Network = decodeLink(t, cfg.Network)
		cfg.NetworkKinds = decodeNetworkKinds(t, cfg.Network)
		t.finish()
	}
	if t := root.sub("disk"); t != nil {
		t.durationRange("sync", &cfg.Disk.SyncMin, &cfg.Disk.SyncMax)
		t.duration("apply_lag", &cfg.Disk.ApplyLag)
		decodeStore(t, &cfg.Disk.Store)
		if f := t.sub("faults"); f != nil {
			decodeDiskRates(f, &cfg.Disk.Rates)
			f.finish()
		}
		t.finish()
	}
	if t := root.sub("workload"); t != nil {
		decodeWorkload(t, &cfg.Workload)
	}
	if t := root.sub("liveness"); t != nil {
		t.duration("leader_within", &cfg.Liveness.LeaderWithin)
		t.duration("progress_within", &cfg.Liveness.ProgressWithin)
		t.finish()
	}
	// The timeline's checks need the cluster size and the duration.
	if d.ok() {
		cfg.Timeline = decodeTimeline(root, &cfg)
	}
	if d.ok() {
		cfg.Checks = decodeChecks(root, &cfg)
	}
	if t := root.sub("reproducer"); t != nil {
		s.Reproducer = decodeReproducer(t)
	}
	root.finish()
	cfg.Seed = s.Seed
	s.Config = cfg
	return s
}

// decodeSeed reads an integer, or a decimal string for seeds above the
// largest TOML integer.
func decodeSeed(root *table, dst *uint64) {
	v, ok := root.get("seed")
	if !ok {
		return
	}
	switch v := v.(type) {
	case int64:
		if v < 0 {
			root.fail("seed", "%d is negative", v)
			return
		}
		*dst = uint64(v)
	case string:
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			root.fail("seed", "%q is not an unsigned 64-bit integer", v)
			return
		}
		*dst = n
	default:
		root.wrongType("seed", v, "an integer")
	}
}

// decodeExpect reads `expect = "pass"`, one failure name, or a list of
// them.
func decodeExpect(root *table) Expectation {
	v, ok := root.get("expect")
	if !ok {
		return Expectation{}
	}
	var names []string
	switch v := v.(type) {
	case string:
		if v == "pass" {
			return Expectation{}
		}
		names = []string{v}
	case []any:
		for i, e := range v {
			s, isStr := e.(string)
			if !isStr {
				root.d.fail(indexPath("expect", i), "is %s, want a failure name", typeName(e))
				return Expectation{}
			}
			names = append(names, s)
		}
		if len(names) == 0 {
			root.fail("expect", `an empty list; write "pass" for a scenario that must pass`)
		}
	default:
		root.wrongType("expect", v, `"pass" or a list of failure names`)
		return Expectation{}
	}
	for _, n := range names {
		if n == "pass" || !failureNamePattern.MatchString(n) {
			root.fail("expect", `%q is not a failure name such as "linearizability" or "read-freshness" (or write "pass" alone)`, n)
		}
	}
	return Expectation{Failures: names}
}

func decodeStore(t *table, dst *sim.StoreKind) {
	var store string
	if !t.str("store", &store) {
		return
	}
	switch store {
	case sim.StoreMemory.String():
		*dst = sim.StoreMemory
	case sim.StoreFile.String():
		*dst = sim.StoreFile
	default:
		t.fail("store", "%q is not %q or %q", store, sim.StoreMemory, sim.StoreFile)
	}
}

func decodeRaft(t *table, r *sim.RaftConfig) {
	t.duration("tick_interval", &r.TickInterval)
	t.intField("election_ticks", 0, 1_000_000, &r.ElectionTicks)
	t.intField("heartbeat_ticks", 0, 1_000_000, &r.HeartbeatTicks)
	preVote, checkQuorum := !r.DisablePreVote, !r.DisableCheckQuorum
	t.boolean("prevote", &preVote)
	t.boolean("check_quorum", &checkQuorum)
	r.DisablePreVote, r.DisableCheckQuorum = !preVote, !checkQuorum
	var mode string
	if t.str("read_mode", &mode) {
		switch mode {
		case raft.ReadIndex.String():
			r.ReadMode = raft.ReadIndex
		case raft.ReadLease.String():
			r.ReadMode = raft.ReadLease
		default:
			t.fail("read_mode", "%q is not %q or %q", mode, raft.ReadIndex, raft.ReadLease)
		}
	}
	t.intField("lease_drift_ticks", 0, 1_000_000, &r.LeaseDriftTicks)
	t.intField("max_entries_per_msg", 0, 1_000_000, &r.MaxEntriesPerMsg)
	t.intField("max_inflight_msgs", 0, 1_000_000, &r.MaxInflightMsgs)
	t.intField("snapshot_every", 0, 1_000_000_000, &r.SnapshotEvery)
	t.intField("snapshot_keep", 0, 1_000_000_000, &r.SnapshotKeep)
	t.bytes("snapshot_chunk", &r.SnapshotChunkBytes)
	t.finish()
}

// linkKeys are the keys of a link setting, in [network] and in link
// actions.
var linkKeys = []string{"delay", "tail", "tail_max", "loss", "duplicate", "reorder", "reorder_window", "bandwidth"}

// decodeLink reads link settings over base: keys not given keep base's
// values. The delay is constant ("2ms"), uniform ("1ms..5ms"), or long
// tail when tail and tail_max are given.
func decodeLink(t *table, base netsim.LinkConfig) netsim.LinkConfig {
	lc := base
	if t.has("delay") {
		var lo, hi = lc.Delay.Min, lc.Delay.Max
		single, ok := t.durationRange("delay", &lo, &hi)
		if ok {
			lc.Delay = netsim.Uniform(lo, hi)
			if single {
				lc.Delay = netsim.Constant(lo)
			}
		}
	}
	if t.has("tail") || t.has("tail_max") {
		if !t.has("tail") || !t.has("tail_max") {
			present, missing := "tail", "tail_max"
			if !t.has("tail") {
				present, missing = missing, present
			}
			t.get(present)
			t.fail(present, "a long-tail delay needs both tail and tail_max; %s is missing", missing)
			return lc
		}
		var ratio netsim.Ratio
		var tailMax = lc.Delay.Max
		t.ratio("tail", &ratio)
		t.duration("tail_max", &tailMax)
		lc.Delay = netsim.LongTail(lc.Delay.Min, lc.Delay.Max, ratio, tailMax)
	}
	t.ratio("loss", &lc.Loss)
	t.ratio("duplicate", &lc.Duplicate)
	t.ratio("reorder", &lc.Reorder.Ratio)
	t.duration("reorder_window", &lc.Reorder.Window)
	t.bandwidth("bandwidth", &lc.Bandwidth)
	if !t.d.ok() {
		return lc
	}
	if err := lc.Validate(); err != nil {
		t.fail(linkErrorKey(err.Error()), "%s", strings.TrimPrefix(err.Error(), netsim.ErrBadConfig.Error()+": "))
	}
	return lc
}

// linkErrorKey maps netsim's validation message to the key at fault.
func linkErrorKey(msg string) string {
	switch {
	case strings.Contains(msg, "TailMax"), strings.Contains(msg, "TailRatio"):
		return "tail_max"
	case strings.Contains(msg, "Reorder"), strings.Contains(msg, "reorder"):
		return "reorder_window"
	case strings.Contains(msg, "Delay:"):
		return "delay"
	case strings.Contains(msg, "Loss:"):
		return "loss"
	case strings.Contains(msg, "Duplicate:"):
		return "duplicate"
	case strings.Contains(msg, "Bandwidth:"):
		return "bandwidth"
	}
	return "delay"
}

func decodeWorkload(t *table, w *sim.WorkloadConfig) {
	t.intField("clients", 0, sim.MaxClients, &w.Clients)
	t.intField("keys", 0, 1_000_000, &w.Keys)
	if m := t.sub("mix"); m != nil {
		// A mix given replaces the default one: weights left out are 0.
		w.Mix = sim.Mix{}
		m.intField("get", 0, 1_000_000, &w.Mix.Get)
		m.intField("put", 0, 1_000_000, &w.Mix.Put)
		m.intField("append", 0, 1_000_000, &w.Mix.Append)
		m.intField("delete", 0, 1_000_000, &w.Mix.Delete)
		m.intField("cas", 0, 1_000_000, &w.Mix.CAS)
		m.finish()
	}
	t.duration("attempt_timeout", &w.Attempt)
	t.duration("deadline", &w.Deadline)
	t.duration("think", &w.Think)
	t.duration("latency", &w.Latency)
	t.intField("sessions", 0, 1_000_000, &w.Sessions.Max)
	var idle int
	if t.intField("session_idle_entries", 0, 1<<40, &idle); idle > 0 {
		w.Sessions.IdleEntries = raft.Index(idle)
	}
	t.finish()
}

func decodeReproducer(t *table) *Reproducer {
	r := &Reproducer{}
	t.str("version", &r.Version)
	t.str("planted", &r.Planted)
	if t.str("trace_digest", &r.TraceDigest) && !isHexDigest(r.TraceDigest) {
		t.fail("trace_digest", "%q is not a SHA-256 digest in hex", r.TraceDigest)
	}
	if list, ok := t.array("failures"); ok {
		for i, e := range list {
			s, isStr := e.(string)
			if !isStr {
				t.d.fail(indexPath(t.field("failures"), i), "is %s, want \"kind/name\"", typeName(e))
				break
			}
			r.Failures = append(r.Failures, s)
		}
	}
	t.finish()
	return r
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// configErrorPrefix matches the start of sim.Config.Validate's messages:
// a field path, or a timeline entry and the field within it.
var configErrorPrefix = regexp.MustCompile(`^((timeline|checks)\[(\d+)\] \([^)]*\): )?([a-z_]+(?:\.[a-z_]+)*(?:\[\d+\])?)(?:/[a-z]+)?:? `)

// configSections are the first segments of the paths sim.Config.Validate
// names outside the timeline.
var configSections = map[string]bool{
	"nodes": true, "voters": true, "raft": true, "network": true, "disk": true, "workload": true,
	"duration": true, "heal_duration": true, "liveness": true,
}

// locateConfigError maps a message of sim.Config.Validate to the path of
// the file key it is about, and the rest of the message.
func locateConfigError(msg string) (path, rest string) {
	m := configErrorPrefix.FindStringSubmatch(msg)
	if m == nil {
		return "", msg
	}
	field := m[4]
	if top, _, _ := strings.Cut(field, "."); m[1] == "" && !configSections[top] {
		return "", msg
	}
	rest = strings.TrimPrefix(msg, m[0])
	if !strings.HasSuffix(m[0], ": ") {
		// "raft.max_entries_per_msg and ...": the field starts a sentence.
		rest = strings.TrimPrefix(msg, m[1])
	}
	if m[1] == "" {
		return field, rest
	}
	if m[2] == "checks" {
		// The simulator names the kind's key by the kind, as files do.
		path = "check[" + m[3] + "]"
		if field != "kind" {
			path += "." + field
		}
		return path, rest
	}
	// Inside a timeline entry, the simulator names Action fields; the
	// file's keys differ for two of them.
	switch field {
	case "kind":
		field = "action"
	case "drift":
		field = "drift_ppm"
	case "link":
		field = ""
	}
	path = "timeline[" + m[3] + "]"
	if field != "" {
		path += "." + field
	}
	return path, rest
}
