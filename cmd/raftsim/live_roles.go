package main

import (
	"context"
	"strconv"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/localcluster"
	"github.com/raftsim/raftsim/sim"
)

// roleWatch polls every node's RAFT.STATUS and records role changes with
// real times, as the simulator records them; a node that is down or does
// not answer is recorded with role 0.
type roleWatch struct {
	cluster *localcluster.Cluster
	start   time.Time
	changes []sim.RoleChange
}

// roleWatchInterval is the polling period: changes shorter than it can be
// missed, which only thins the report's role timeline.
const roleWatchInterval = 50 * time.Millisecond

func (w *roleWatch) run(ctx context.Context) {
	last := map[raft.NodeID]sim.RoleChange{}
	t := time.NewTicker(roleWatchInterval)
	defer t.Stop()
	for {
		for _, n := range w.cluster.Nodes {
			rc := sim.RoleChange{Node: n.ID}
			if n.Running() && !n.Paused() {
				qctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				st, err := w.cluster.Status(qctx, n.ID)
				cancel()
				if err == nil {
					rc.Role = parseRole(st["role"])
					term, _ := strconv.ParseUint(st["term"], 10, 64)
					rc.Term = raft.Term(term)
				} else if ctx.Err() != nil {
					return
				}
			}
			if prev, seen := last[n.ID]; !seen || prev.Role != rc.Role || (rc.Role == raft.RoleLeader && prev.Term != rc.Term) {
				rc.Time = clock.Time(time.Since(w.start))
				w.changes = append(w.changes, rc)
				last[n.ID] = rc
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func parseRole(s string) raft.Role {
	for r := raft.RoleFollower; r <= raft.RoleLeader; r++ {
		if r.String() == s {
			return r
		}
	}
	return 0
}

// tenures derives the leaders' terms of office from the role changes.
func tenures(changes []sim.RoleChange, end clock.Time) []sim.Tenure {
	var out []sim.Tenure
	open := map[raft.NodeID]int{}
	for _, rc := range changes {
		if i, ok := open[rc.Node]; ok && (rc.Role != raft.RoleLeader || out[i].Term != rc.Term) {
			out[i].Ended = rc.Time
			delete(open, rc.Node)
		}
		if rc.Role == raft.RoleLeader {
			if _, ok := open[rc.Node]; !ok {
				out = append(out, sim.Tenure{Node: rc.Node, Term: rc.Term, Elected: rc.Time, Committed: rc.Time})
				open[rc.Node] = len(out) - 1
			}
		}
	}
	for i := range out {
		if out[i].Ended == 0 {
			out[i].Ended = end
		}
	}
	return out
}
