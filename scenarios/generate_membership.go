package scenarios

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// generatorMembershipStream is the PCG stream of the membership dimension
// of a generated scenario, apart from the generator's other streams: a
// seed that draws no churn is the scenario it was before the dimension
// existed.
const generatorMembershipStream = 0x6d656d62 // "memb"

// membershipSettle is the least time a generated membership action has
// before the fault phase ends: its Within runs to the end of the phase,
// so that no change is still being made at the heal.
const membershipSettle = 500 * time.Millisecond

// churnPatterns are the membership churns the generator draws (§6).
var churnPatterns = []struct {
	name string
	draw func(c *churn, at time.Duration)
}{
	{"rolling_replacement", (*churn).rolling},
	{"remove_the_leader", (*churn).removeLeader},
	{"add_during_partition", (*churn).addDuringPartition},
	{"transfer_during_partition", (*churn).transferDuringPartition},
	{"learner_promotion", (*churn).learner},
	{"changes_across_leader_change", (*churn).acrossLeaderChange},
}

// churn is the membership dimension being drawn for one scenario: the
// actions each pattern adds, in groups that go in together or not at all,
// and the spare nodes they bring in.
type churn struct {
	g      *generator
	cfg    *sim.Config
	voters int
	spares int
	groups [][]sim.Action
	names  []string
}

// membership draws the membership dimension of a generated scenario
// (swarm testing again): one seed in four churns its membership. It adds
// spare nodes (numbered after the initial voters, idle until added) and
// one or two patterns: a rolling replacement of some or every voter, the
// removal of whoever leads, a node added while a partition cuts part of
// the cluster off, a leadership transfer during a partition, a learner
// added and later promoted. Every action runs until the end of the fault
// phase at most (Within), so that the heal finds no change in progress.
// A partition of the main timeline puts each spare in one of its groups.
//
// A removed node that never learns of its removal stands for election
// again and again; only PreVote or CheckQuorum keep it from deposing the
// leader (removed-node-disruption), so a cluster with neither churns
// nothing. It returns the names of the patterns it added.
func membership(seed uint64, cfg *sim.Config) []string {
	g := &generator{rng: rand.New(rand.NewPCG(seed, generatorMembershipStream))}
	if !g.chance(1, 4) || cfg.Raft.DisablePreVote && cfg.Raft.DisableCheckQuorum {
		return nil
	}
	if cfg.Duration < 2*membershipSettle {
		return nil
	}
	c := &churn{g: g, cfg: cfg, voters: cfg.Nodes}
	first := g.rng.IntN(len(churnPatterns))
	picks := []int{first}
	if g.chance(1, 3) {
		picks = append(picks, (first+1+g.rng.IntN(len(churnPatterns)-1))%len(churnPatterns))
	}
	for _, p := range picks {
		spares, groups := c.spares, len(c.groups)
		c.names = append(c.names, churnPatterns[p].name)
		churnPatterns[p].draw(c, g.ms(0, cfg.Duration-membershipSettle-time.Millisecond))
		if cfg.Nodes+c.spares > maxGeneratedNodes {
			// Too many spares for one cluster: without this pattern.
			c.spares, c.groups, c.names = spares, c.groups[:groups], c.names[:len(c.names)-1]
		}
	}
	if c.spares == 0 {
		return nil
	}
	cfg.Voters = cfg.Nodes
	cfg.Nodes += c.spares
	c.placeSpares(cfg.Timeline)
	var added []string
	for k, grp := range c.groups {
		c.placeSpares(grp)
		tl, ok := slices.Clone(cfg.Timeline), true
		for _, a := range grp {
			if tl, ok = insertInto(cfg, tl, a); !ok {
				break
			}
		}
		if ok {
			cfg.Timeline = tl
			if name := c.groupName(k); !slices.Contains(added, name) {
				added = append(added, name)
			}
		}
	}
	return added
}

// maxGeneratedNodes bounds a generated cluster with its spares.
const maxGeneratedNodes = 14

// spare returns a new spare node's ID.
func (c *churn) spare() raft.NodeID {
	c.spares++
	return raft.NodeID(c.voters + c.spares)
}

// add records a group of actions that go in together, for the pattern
// drawn last.
func (c *churn) add(grp ...sim.Action) {
	for i := range grp {
		grp[i].Label = c.names[len(c.names)-1]
	}
	c.groups = append(c.groups, grp)
}

// groupName is the pattern a group of actions belongs to.
func (c *churn) groupName(k int) string { return c.groups[k][0].Label }

// member makes a membership action at at, running to the end of the
// fault phase at most.
func (c *churn) member(at time.Duration, kind sim.ActionKind) sim.Action {
	return sim.Action{At: at, Kind: kind, Within: c.cfg.Duration - at}
}

// rolling replaces k of the initial voters (every one, half the time),
// one after another, each by a spare; a quarter of them go through a
// joint configuration.
func (c *churn) rolling(start time.Duration) {
	g := c.g
	k := c.voters
	if g.chance(1, 2) {
		k = 1 + g.rng.IntN(c.voters)
	}
	order := g.rng.Perm(c.voters)[:k]
	start = min(start, c.cfg.Duration/3)
	step := (c.cfg.Duration - membershipSettle - start) / time.Duration(k)
	for i, p := range order {
		a := c.member(start+time.Duration(i)*step.Truncate(time.Millisecond), sim.ActReplace)
		a.Nodes, a.With = []raft.NodeID{raft.NodeID(p + 1)}, []raft.NodeID{c.spare()}
		a.Joint = g.chance(1, 4)
		c.add(a)
	}
}

// removeLeader removes whoever leads, and brings a spare in: with the
// same action (a replacement) or a little later.
func (c *churn) removeLeader(at time.Duration) {
	g := c.g
	if g.chance(1, 2) {
		a := c.member(at, sim.ActReplace)
		a.Leader, a.With = true, []raft.NodeID{c.spare()}
		c.add(a)
		return
	}
	a := c.member(at, sim.ActRemove)
	a.Leader = true
	b := c.member(min(at+g.ms(50*time.Millisecond, 500*time.Millisecond), c.cfg.Duration-membershipSettle), sim.ActAddVoter)
	b.Nodes = []raft.NodeID{c.spare()}
	c.add(a, b)
}

// partitionAt draws a partition at at and the heal that ends it.
func (c *churn) partitionAt(at time.Duration) (sim.Action, sim.Action) {
	g := c.g
	p := sim.Action{At: at, Kind: sim.ActPartition, Groups: g.groups(c.voters, 2), Leader: g.chance(1, 2)}
	heal := sim.Action{At: min(at+g.ms(200*time.Millisecond, time.Second), c.cfg.Duration-time.Millisecond), Kind: sim.ActHeal}
	if heal.At <= at {
		heal.At = at + time.Millisecond
	}
	return p, heal
}

// addDuringPartition cuts the cluster in two and adds a spare while it
// is cut, as a voter or (a third of the time) as a learner.
func (c *churn) addDuringPartition(at time.Duration) {
	g := c.g
	p, heal := c.partitionAt(at)
	kind := sim.ActAddVoter
	if g.chance(1, 3) {
		kind = sim.ActAddLearner
	}
	a := c.member(at+g.ms(time.Millisecond, 100*time.Millisecond), kind)
	a.Nodes = []raft.NodeID{c.spare()}
	// The spare sits on a random side of the cut.
	side := g.rng.IntN(len(p.Groups))
	p.Groups[side] = append(p.Groups[side], a.Nodes[0])
	c.add(p, a, heal)
}

// transferDuringPartition cuts the cluster in two and hands leadership
// to a random node (or a follower) while it is cut. The transfer needs
// a voter to exist: it brings a spare in first when there is none other
// to churn.
func (c *churn) transferDuringPartition(at time.Duration) {
	g := c.g
	p, heal := c.partitionAt(at)
	a := c.member(at+g.ms(time.Millisecond, 100*time.Millisecond), sim.ActTransferLeader)
	if g.chance(1, 2) {
		a.Follower = true
	} else {
		a.Random = 1
	}
	c.add(p, a, heal)
	if c.spares == 0 {
		// A cluster with no spare would be no membership scenario: a
		// learner joins a little later.
		l := c.member(min(at+g.ms(100*time.Millisecond, 500*time.Millisecond), c.cfg.Duration-membershipSettle), sim.ActAddLearner)
		l.Nodes = []raft.NodeID{c.spare()}
		c.add(l)
	}
}

// learner adds a spare as a learner and promotes it later.
func (c *churn) learner(at time.Duration) {
	g := c.g
	id := c.spare()
	a := c.member(at, sim.ActAddLearner)
	a.Nodes = []raft.NodeID{id}
	b := c.member(min(at+g.ms(100*time.Millisecond, time.Second), c.cfg.Duration-membershipSettle), sim.ActPromote)
	if b.At <= a.At {
		b.At = a.At + time.Millisecond
		b.Within = c.cfg.Duration - b.At
	}
	b.Nodes = []raft.NodeID{id}
	c.add(a, b)
}

// acrossLeaderChange makes changes while leadership changes hands, the
// setting of the single-server change bug (§4.1 of the thesis). A spare
// joins first, so that the configuration may have an even number of
// voters. Then, in each of one or two rounds, another spare joins and
// whoever leads is isolated (or crashes) at the same instant, so that the
// entry stays on a minority; that change is given up within half an
// election timeout, before a new leader is elected, and a third spare
// joins at the new leader, whose first proposal it is. Two single-server
// changes of one even configuration can have disjoint majorities: a new
// leader must commit an entry of its term before it makes its own.
func (c *churn) acrossLeaderChange(at time.Duration) {
	g := c.g
	end := c.cfg.Duration - membershipSettle
	timeout := time.Duration(c.cfg.Raft.ElectionTicks) * c.cfg.Raft.TickInterval
	first := c.member(min(at, c.cfg.Duration/4), sim.ActAddVoter)
	first.Nodes = []raft.NodeID{c.spare()}
	c.add(first)
	t := first.At
	for round := range 2 {
		t += g.ms(300*time.Millisecond, 700*time.Millisecond)
		second := c.member(t, sim.ActAddVoter)
		second.Within = g.ms(time.Millisecond, max(time.Millisecond, timeout/2))
		third := c.member(t+second.Within+time.Millisecond, sim.ActAddVoter)
		back := sim.Action{At: t + 2*timeout + g.ms(0, 400*time.Millisecond), Kind: sim.ActHeal}
		if back.At > end || round > 0 && g.chance(1, 2) {
			return
		}
		cut := sim.Action{At: t, Kind: sim.ActIsolate, Leader: true}
		if g.chance(1, 3) {
			cut.Kind, back.Kind = sim.ActCrash, sim.ActRestart
		}
		second.Nodes = []raft.NodeID{c.spare()}
		third.Nodes = []raft.NodeID{c.spare()}
		third.Within = c.cfg.Duration - third.At
		c.add(second, cut, third, back)
		t = back.At
	}
}

// placeSpares puts every spare that is in no group yet into a random
// group of each partition and bridge of tl: a node in no group is cut
// off from all.
func (c *churn) placeSpares(tl []sim.Action) {
	for i := range tl {
		a := &tl[i]
		if a.Kind != sim.ActPartition && a.Kind != sim.ActBridge || len(a.Groups) == 0 {
			continue
		}
		for s := 1; s <= c.spares; s++ {
			id := raft.NodeID(c.voters + s)
			if slices.ContainsFunc(a.Groups, func(grp []raft.NodeID) bool { return slices.Contains(grp, id) }) {
				continue
			}
			k := c.g.rng.IntN(len(a.Groups))
			a.Groups[k] = append(slices.Clone(a.Groups[k]), id)
			slices.Sort(a.Groups[k])
		}
	}
}

// insertInto returns tl with a in its place by time, if the whole
// timeline still passes the static checks.
func insertInto(cfg *sim.Config, tl []sim.Action, a sim.Action) ([]sim.Action, bool) {
	c := *cfg
	c.Timeline = tl
	return insertChecked(&c, a)
}

// describeMembership adds the membership dimension to a generated
// scenario's description.
func describeMembership(cfg *sim.Config, patterns []string, spareHits int, overlap bool) string {
	if len(patterns) == 0 {
		return ""
	}
	s := fmt.Sprintf(" Membership: %d voters and %d spares, %s", cfg.Voters, cfg.Nodes-cfg.Voters,
		strings.ReplaceAll(strings.Join(patterns, ", "), "_", " "))
	if spareHits > 0 {
		s += fmt.Sprintf("; faults on %d of the spares that joined", spareHits)
	}
	if overlap {
		s += "; a learner added while another change is in flight"
	}
	return s + "."
}
