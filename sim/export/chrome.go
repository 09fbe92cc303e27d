package export

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// Meta names the run in the exported files.
type Meta struct {
	Scenario string
	// Command reproduces the run.
	Command string
}

// Process IDs of the Chrome file's tracks.
const (
	pidNodes   = 1
	pidClients = 2
	pidFaults  = 3
)

// chromeEvent is one event of the Chrome trace-event format. Field names
// are the format's: name, cat, ph (phase), ts and dur (microseconds), pid,
// tid, id (flows), bp (flow binding), s (instant scope), args.
type chromeEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  *float64       `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  uint64         `json:"tid"`
	ID   string         `json:"id,omitempty"`
	Bp   string         `json:"bp,omitempty"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// chromeFile is the JSON object form of the format.
type chromeFile struct {
	TraceEvents     []chromeEvent  `json:"traceEvents"`
	DisplayTimeUnit string         `json:"displayTimeUnit"`
	OtherData       map[string]any `json:"otherData"`
}

func us(ns int64) float64 { return float64(ns) / 1000 }

func dur(fromNs, toNs int64) *float64 {
	d := us(max(toNs-fromNs, 0))
	return &d
}

// WriteChrome writes the run as a Chrome trace-event JSON object: node,
// client and fault tracks, message flows from rec (nil: none).
func WriteChrome(w io.Writer, res *sim.Result, rec *Recorder, meta Meta) error {
	var ev []chromeEvent
	name := func(pid int, tid uint64, kind, n string) chromeEvent {
		return chromeEvent{Name: kind, Ph: "M", Pid: pid, Tid: tid, Args: map[string]any{"name": n}}
	}
	ev = append(ev, name(pidNodes, 0, "process_name", "raft nodes"), name(pidClients, 0, "process_name", "clients"),
		name(pidFaults, 0, "process_name", "faults and failures"))
	for _, n := range nodesOf(res, rec) {
		ev = append(ev, name(pidNodes, n, "thread_name", fmt.Sprintf("node %d", n)))
	}
	ev = append(ev, roleSpans(res)...)
	ev = append(ev, messageEvents(rec)...)
	ev = append(ev, clientSpans(res)...)
	ev = append(ev, faultEvents(res)...)
	other := map[string]any{"scenario": meta.Scenario, "seed": res.Seed, "trace_digest": res.TraceDigest,
		"reproduce": meta.Command, "virtual_end_us": us(int64(res.End))}
	if rec != nil && rec.Dropped > 0 {
		other["messages_left_out"] = rec.Dropped
	}
	enc := json.NewEncoder(w)
	return enc.Encode(chromeFile{TraceEvents: ev, DisplayTimeUnit: "ms", OtherData: other})
}

// nodesOf lists the nodes that appear in the run, in order.
func nodesOf(res *sim.Result, rec *Recorder) []uint64 {
	var ids []uint64
	for _, rc := range res.Roles {
		ids = append(ids, uint64(rc.Node))
	}
	if rec != nil {
		for _, c := range rec.copies {
			ids = append(ids, c.From, c.To)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// roleName names a role span; Role 0 is a crashed node.
func roleName(rc sim.RoleChange) string {
	switch rc.Role {
	case 0:
		return "crashed"
	case raft.RoleLeader, raft.RoleCandidate:
		return fmt.Sprintf("%s (term %d)", rc.Role, rc.Term)
	}
	return rc.Role.String()
}

// roleInterval is a role held from its change to end (virtual ns).
type roleInterval struct {
	sim.RoleChange
	end int64
}

// roleIntervals turns role changes into intervals, each ending at the
// node's next change or at the run's end, in the order of the changes.
func roleIntervals(res *sim.Result) []roleInterval {
	out := make([]roleInterval, len(res.Roles))
	open := map[raft.NodeID]int{} // the node's interval still open
	for i, rc := range res.Roles {
		if j, ok := open[rc.Node]; ok {
			out[j].end = int64(rc.Time)
		}
		open[rc.Node] = i
		out[i] = roleInterval{RoleChange: rc, end: int64(res.End)}
	}
	return out
}

// roleSpans draws each node's roles as consecutive spans.
func roleSpans(res *sim.Result) []chromeEvent {
	var out []chromeEvent
	for _, s := range roleIntervals(res) {
		out = append(out, chromeEvent{Name: roleName(s.RoleChange), Cat: "role", Ph: "X", Ts: us(int64(s.Time)), Dur: dur(int64(s.Time), s.end),
			Pid: pidNodes, Tid: uint64(s.Node), Args: map[string]any{"role": roleName(s.RoleChange), "term": uint64(s.Term)}})
	}
	return out
}

// messageEvents draws each message copy as a zero-length slice on the
// sender at its send and on the receiver at its fate, joined by a flow.
// Flow IDs are the copies' positions, unique per copy.
func messageEvents(rec *Recorder) []chromeEvent {
	if rec == nil {
		return nil
	}
	var out []chromeEvent
	zero := 0.0
	for k, c := range rec.copies {
		args := map[string]any{"id": c.ID, "from": c.From, "to": c.To, "term": c.Term}
		if c.Index != 0 {
			args["index"] = c.Index
		}
		if c.Dup {
			args["duplicate"] = true
		}
		fate := "recv " + c.Msg
		cat := "message"
		if c.Outcome == "drop" {
			fate = "drop " + c.Msg + " (" + c.Reason + ")"
			args["dropped"] = c.Reason
			cat = "dropped"
		}
		flow := strconv.Itoa(k + 1)
		out = append(out,
			chromeEvent{Name: fmt.Sprintf("send %s to %d", c.Msg, c.To), Cat: cat, Ph: "X", Ts: us(c.Sent), Dur: &zero, Pid: pidNodes, Tid: c.From, Args: args},
			chromeEvent{Name: c.Msg, Cat: cat, Ph: "s", Ts: us(c.Sent), Pid: pidNodes, Tid: c.From, ID: flow},
			chromeEvent{Name: c.Msg, Cat: cat, Ph: "f", Bp: "e", Ts: us(c.Fate), Pid: pidNodes, Tid: dest(c), ID: flow},
			chromeEvent{Name: fate, Cat: cat, Ph: "X", Ts: us(c.Fate), Dur: &zero, Pid: pidNodes, Tid: dest(c), Args: args},
		)
	}
	return out
}

// dest is the track a copy's fate is drawn on: the receiver's.
func dest(c Copy) uint64 { return c.To }

// clientSpans draws each operation on its client's track.
func clientSpans(res *sim.Result) []chromeEvent {
	out := make([]chromeEvent, 0, len(res.History)+1)
	open := len(res.History) - res.OpenAtEnd
	clients := map[uint64]bool{}
	for i, op := range res.History {
		clients[op.ClientID] = true
		outcome := op.Outcome.String()
		if i >= open {
			outcome = "open at the end"
		}
		args := map[string]any{"outcome": outcome, "key": op.Key, "seq": op.Seq}
		switch op.Kind {
		case checker.OpPut, checker.OpAppend:
			args["value"] = op.Value
		case checker.OpCAS:
			args["expected"], args["value"] = op.Expected, op.Value
		}
		if op.Outcome == checker.OutcomeOK && op.Kind == checker.OpGet {
			args["found"], args["output"] = op.Found, op.Output
		}
		if op.Outcome == checker.OutcomeOK && op.Kind == checker.OpCAS {
			args["swapped"] = op.Swapped
		}
		out = append(out, chromeEvent{Name: op.Kind.String() + " " + op.Key, Cat: outcome, Ph: "X", Ts: us(op.Invoke),
			Dur: dur(op.Invoke, op.Complete), Pid: pidClients, Tid: op.ClientID, Args: args})
	}
	ids := make([]uint64, 0, len(clients))
	for id := range clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, chromeEvent{Name: "thread_name", Ph: "M", Pid: pidClients, Tid: id, Args: map[string]any{"name": fmt.Sprintf("client %d", id)}})
	}
	return out
}

// faultEvents draws fault windows as spans, one lane each so that
// overlapping windows stay apart, and instants for fault starts and
// ends, elections and failures.
func faultEvents(res *sim.Result) []chromeEvent {
	var out []chromeEvent
	var laneEnd []int64
	for _, f := range res.Faults {
		lane := 0
		for lane < len(laneEnd) && laneEnd[lane] > int64(f.Start) {
			lane++
		}
		if lane == len(laneEnd) {
			laneEnd = append(laneEnd, 0)
			out = append(out, chromeEvent{Name: "thread_name", Ph: "M", Pid: pidFaults, Tid: uint64(lane + 1),
				Args: map[string]any{"name": fmt.Sprintf("faults %d", lane+1)}})
		}
		laneEnd[lane] = int64(f.End)
		args := map[string]any{"kind": f.Kind, "nodes": f.Nodes}
		out = append(out,
			chromeEvent{Name: f.Label, Cat: "fault", Ph: "X", Ts: us(int64(f.Start)), Dur: dur(int64(f.Start), int64(f.End)), Pid: pidFaults, Tid: uint64(lane + 1), Args: args},
			chromeEvent{Name: "fault: " + f.Label, Cat: "fault", Ph: "i", S: "g", Ts: us(int64(f.Start)), Pid: pidFaults, Tid: uint64(lane + 1), Args: args},
			chromeEvent{Name: "end of fault: " + f.Label, Cat: "fault", Ph: "i", S: "g", Ts: us(int64(f.End)), Pid: pidFaults, Tid: uint64(lane + 1), Args: args},
		)
	}
	for _, rc := range res.Roles {
		if rc.Role == raft.RoleLeader {
			out = append(out, chromeEvent{Name: fmt.Sprintf("leader %d elected (term %d)", rc.Node, rc.Term), Cat: "election",
				Ph: "i", S: "p", Ts: us(int64(rc.Time)), Pid: pidNodes, Tid: uint64(rc.Node)})
		}
	}
	for _, f := range res.Failures {
		out = append(out, chromeEvent{Name: f.Kind.String() + " " + f.Name, Cat: "failure", Ph: "i", S: "g",
			Ts: us(int64(f.Time)), Pid: pidFaults, Tid: 0, Args: map[string]any{"message": f.Message, "node": uint64(f.Node)}})
	}
	return out
}
