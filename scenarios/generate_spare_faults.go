package scenarios

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// generatorSpareFaultStream is the PCG stream of the faults aimed at
// spares that joined, apart from the generator's other streams: the
// main timeline and the churn are drawn as they were before these
// faults existed, and a seed that churns nothing draws none.
const generatorSpareFaultStream = 0x73666c74 // "sflt"

// spareFaultLabel labels the actions spareFaults adds.
const spareFaultLabel = "spare_faults"

// joined is a spare node a membership action of the timeline brings in,
// and when that action starts.
type joined struct {
	id raft.NodeID
	at time.Duration
}

// spareFaults draws node faults aimed at the spares a churn brings in,
// once they have had time to join: the main timeline's node faults are
// drawn before the spares exist, so without these a newly added node
// would never crash, restart or be cut off - and a node that joins,
// catches up and then loses its connection or its process is where
// catch-up, snapshot and quorum bugs of the new configuration show. Each
// joining spare is hit with probability one half: crashed and restarted,
// isolated and reconnected, or put with a minority of the cluster on one
// side of a partition that a heal ends. Each fault ends within the fault
// phase; a fault the timeline so far contradicts is left out. It
// returns how many faults it added.
func spareFaults(seed uint64, cfg *sim.Config) int {
	if cfg.Voters == 0 {
		return 0
	}
	g := &generator{rng: rand.New(rand.NewPCG(seed, generatorSpareFaultStream))}
	added := 0
	for _, j := range joinedSpares(cfg) {
		if !g.chance(1, 2) {
			continue
		}
		grp := g.spareFault(cfg, j)
		if grp == nil {
			continue
		}
		tl, ok := cfg.Timeline, true
		for _, a := range grp {
			if tl, ok = insertInto(cfg, tl, a); !ok {
				break
			}
		}
		if ok {
			cfg.Timeline = tl
			added++
		}
	}
	return added
}

// joinedSpares lists the spares the timeline's membership actions bring
// in (as voters, learners or replacements), in timeline order, each once.
func joinedSpares(cfg *sim.Config) []joined {
	var out []joined
	seen := map[raft.NodeID]bool{}
	for _, a := range cfg.Timeline {
		var ids []raft.NodeID
		switch a.Kind {
		case sim.ActAddVoter, sim.ActAddLearner:
			ids = a.Nodes
		case sim.ActReplace:
			ids = a.With
		}
		for _, id := range ids {
			if int(id) > cfg.Voters && !seen[id] {
				seen[id] = true
				out = append(out, joined{id: id, at: a.At})
			}
		}
	}
	return out
}

// spareFault draws one fault on spare j and the action that ends it, or
// nil when the fault phase ends too soon after j joins.
func (g *generator) spareFault(cfg *sim.Config, j joined) []sim.Action {
	at := j.at + g.ms(30*time.Millisecond, 600*time.Millisecond)
	back := at + g.ms(20*time.Millisecond, 500*time.Millisecond)
	kind := g.rng.IntN(3)
	if back >= cfg.Duration {
		return nil
	}
	fault := sim.Action{At: at, Label: spareFaultLabel}
	end := sim.Action{At: back, Label: spareFaultLabel}
	switch kind {
	case 0:
		fault.Kind, fault.Nodes = sim.ActCrash, []raft.NodeID{j.id}
		end.Kind, end.Nodes = sim.ActRestart, []raft.NodeID{j.id}
	case 1:
		fault.Kind, fault.Nodes = sim.ActIsolate, []raft.NodeID{j.id}
		end.Kind, end.Nodes = sim.ActReconnect, []raft.NodeID{j.id}
	default:
		fault.Kind, fault.Groups = sim.ActPartition, g.spareSide(cfg, j.id)
		end.Kind = sim.ActHeal
	}
	return []sim.Action{fault, end}
}

// spareSide splits every node in two: spare id with a minority of the
// others (none, at times), and the rest.
func (g *generator) spareSide(cfg *sim.Config, id raft.NodeID) [][]raft.NodeID {
	var others []raft.NodeID
	for n := 1; n <= cfg.Nodes; n++ {
		if raft.NodeID(n) != id {
			others = append(others, raft.NodeID(n))
		}
	}
	perm := g.rng.Perm(len(others))
	k := g.rng.IntN(max(1, (cfg.Voters+1)/2))
	side := []raft.NodeID{id}
	var rest []raft.NodeID
	for i, p := range perm {
		if i < k {
			side = append(side, others[p])
		} else {
			rest = append(rest, others[p])
		}
	}
	slices.Sort(side)
	slices.Sort(rest)
	return [][]raft.NodeID{side, rest}
}
