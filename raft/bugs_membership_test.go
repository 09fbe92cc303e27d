//go:build raftbugs

package raft

import (
	"errors"
	"testing"

	"github.com/raftsim/raftsim/raft/bugs"
)

// Each planted membership bug next to the correct code on the same
// schedule: what the bug lets happen that Raft forbids.

// cutAll cuts every link of id but those to the nodes in keep.
func (c *cluster) cutAllBut(id NodeID, keep ...NodeID) {
	for _, o := range c.ids {
		if o == id {
			continue
		}
		cut := true
		for _, k := range keep {
			if k == o {
				cut = false
			}
		}
		c.setCut(id, o, cut)
		c.setCut(o, id, cut)
	}
}

// ticksUntilLeader ticks only id (others hear nothing) until it leads or
// gives up, delivering as it goes.
func (c *cluster) standAlone(id NodeID) bool {
	for range 100 {
		c.nodes[id].Tick()
		c.flush()
		if c.nodes[id].Status().Role == RoleLeader {
			return true
		}
	}
	return false
}

// conf-change-before-term-commit: Ongaro's single-server change bug. In
// {1,2,3,4}, leader 1 adds 5 but only 5 gets the entry; 2 takes over and,
// before committing an entry of its term, removes 4, which commits on
// {2,3}, a majority of {1,2,3}. Then 1, with {1,...,5}, wins with 4's and
// 5's votes, a majority of its configuration, and overwrites the committed
// change. The fix refuses 2's change until its no-op commits; once it
// has, 4 holds an entry of 2's term and refuses 1.
func TestPlantedConfChangeBeforeTermCommit(t *testing.T) {
	for _, planted := range []bool{false, true} {
		bugs.Set(bugs.None)
		if planted {
			bugs.Set(bugs.ConfChangeBeforeTermCommit)
		}
		c := newClusterSpares(t, 4, 1, func(cfg *Config) { cfg.DisablePreVote = true; cfg.DisableCheckQuorum = true })
		c.campaign(1)
		c.flush()
		if c.leader() != 1 {
			t.Fatalf("node 1 did not win: %v", c)
		}
		c.cutAllBut(1, 5)
		c.changeConf(1, addVoter(5))
		// 2 wins with 3 and 4; its no-op reaches 3 only.
		c.cutAllBut(1)
		c.cutAllBut(5)
		c.cutAllBut(4, 2)
		c.drop = func(m Message) bool { return m.From == 2 && m.To == 4 && m.Type == MsgApp }
		if !c.standAlone(2) {
			t.Fatalf("node 2 did not win: %v", c)
		}
		_, _, err := c.nodes[2].ProposeConfChange(removeNode(4))
		if !planted {
			if err == nil {
				t.Fatal("the correct code let a new leader change the configuration before committing in its term")
			}
			bugs.Set(bugs.None)
			continue
		}
		if err != nil {
			t.Fatalf("planted: %v", err)
		}
		c.flush()
		st2 := c.nodes[2].Status()
		if st2.Commit != st2.LastIndex {
			t.Fatalf("the removal did not commit on {2, 3}: %+v", st2)
		}
		// 1 comes back, reaching 4 and 5 only.
		c.drop = nil
		c.heal()
		c.cutAllBut(1, 4, 5)
		c.cutAllBut(2)
		c.cutAllBut(3)
		if !c.standAlone(1) {
			t.Fatalf("planted: node 1 could not win with 4 and 5: %v", c)
		}
		if tm, _ := c.nodes[1].Term(st2.Commit); tm == st2.Term {
			t.Fatal("planted: node 1 holds the removal")
		}
		// Two leaders whose logs disagree on a committed index.
		bugs.Set(bugs.None)
	}
}

// apply-conf-on-commit: node 2 holds the entry adding 4, uncommitted when
// leader 1 dies. Running with {1,2,3,4}, as the entry says, it needs 3
// votes and cannot win with only 3's; running with the committed {1,2,3},
// it wins with a minority of the configuration in its log.
func TestPlantedApplyConfOnCommit(t *testing.T) {
	for _, planted := range []bool{false, true} {
		bugs.Set(bugs.None)
		if planted {
			bugs.Set(bugs.ApplyConfOnCommit)
		}
		c := newClusterSpares(t, 3, 1, func(cfg *Config) { cfg.DisablePreVote = true; cfg.DisableCheckQuorum = true })
		c.campaign(1)
		c.flush()
		c.cutAllBut(1, 2)
		c.drop = func(m Message) bool { return m.Type == MsgAppResp }
		c.changeConf(1, addVoter(4))
		c.drop = nil
		c.cutAllBut(1)
		c.cutAllBut(4)
		if won := c.standAlone(2); won != planted {
			t.Fatalf("planted %v: node 2 won %v with votes of 2 and 3 alone, in %v", planted, won, c.nodes[2].Config())
		}
		bugs.Set(bugs.None)
	}
}

// count-learner-vote: with 1 down and 3 cut off, 2 cannot win {1,2,3};
// counting learner 4's grant, it does.
func TestPlantedCountLearnerVote(t *testing.T) {
	for _, planted := range []bool{false, true} {
		bugs.Set(bugs.None)
		if planted {
			bugs.Set(bugs.CountLearnerVote)
		}
		c := newClusterSpares(t, 3, 1, func(cfg *Config) { cfg.DisablePreVote = true; cfg.DisableCheckQuorum = true })
		c.campaign(1)
		c.flush()
		c.changeConf(1, addLearner(4))
		c.cutAllBut(1)
		c.cutAllBut(3)
		if won := c.standAlone(2); won != planted {
			t.Fatalf("planted %v: node 2 won %v with its own and learner 4's votes", planted, won)
		}
		bugs.Set(bugs.None)
	}
}

// removed-leader-keeps-leading: a leader whose removal committed leads on.
func TestPlantedRemovedLeaderKeepsLeading(t *testing.T) {
	for _, planted := range []bool{false, true} {
		bugs.Set(bugs.None)
		if planted {
			bugs.Set(bugs.RemovedLeaderKeepsLeading)
		}
		c := newCluster(t, 3)
		l := c.elect()
		idx, _ := c.changeConf(l, removeNode(l))
		st := c.nodes[l].Status()
		if st.Commit < idx || st.Voter {
			t.Fatalf("removal not committed: %+v", st)
		}
		if leads := st.Role == RoleLeader; leads != planted {
			t.Fatalf("planted %v: removed leader leads %v", planted, leads)
		}
		bugs.Set(bugs.None)
	}
}

// learner-stands: with leader 1 cut off, learner 4 never stands; with the
// bug it does, and wins the votes of voters 2 and 3, whose logs it
// matches.
func TestPlantedLearnerStands(t *testing.T) {
	for _, planted := range []bool{false, true} {
		bugs.Set(bugs.None)
		if planted {
			bugs.Set(bugs.LearnerStands)
		}
		c := newClusterSpares(t, 3, 1, func(cfg *Config) { cfg.DisablePreVote = true; cfg.DisableCheckQuorum = true })
		c.campaign(1)
		c.flush()
		c.changeConf(1, addLearner(4))
		c.flush()
		c.cutAllBut(1)
		c.standAlone(4)
		// A leader that is no voter steps down as soon as it has led (a
		// removed leader's rule): that it led shows in the no-ops of its
		// terms; only 4 was ticked.
		if led := c.nodes[4].Status().LastTerm > 1; led != planted {
			t.Fatalf("planted %v: learner 4 led %v: %+v", planted, led, c.nodes[4].Status())
		}
		bugs.Set(bugs.None)
	}
}

// grant-vote-to-stranger: node 4, cut off while {1,2,3} remove it, never
// learns of it. With 1 gone it stands in {1,2,3,4}: 2 and 3 refuse it,
// their logs holding the removal; with the bug they grant it, a node
// outside their configuration, and 4 leads without the committed
// removal.
func TestPlantedGrantVoteToStranger(t *testing.T) {
	for _, planted := range []bool{false, true} {
		bugs.Set(bugs.None)
		if planted {
			bugs.Set(bugs.GrantVoteToStranger)
		}
		c := newCluster(t, 4, func(cfg *Config) { cfg.DisablePreVote = true; cfg.DisableCheckQuorum = true })
		c.campaign(1)
		c.flush()
		c.cutAllBut(4)
		idx, _ := c.changeConf(1, removeNode(4))
		c.flush()
		if st := c.nodes[1].Status(); st.Commit < idx {
			t.Fatalf("the removal did not commit on {1,2,3}: %+v", st)
		}
		c.cutAllBut(1)
		c.cutAllBut(4, 2, 3)
		if won := c.standAlone(4); won != planted {
			t.Fatalf("planted %v: removed node 4 won %v", planted, won)
		}
		if tm, _ := c.nodes[4].Term(idx); planted && tm == c.nodes[1].Status().Term {
			t.Fatal("planted: node 4 holds its removal")
		}
		bugs.Set(bugs.None)
	}
}

// conf-change-while-in-flight: a leader cut off from its followers takes
// one change; the second it refuses while the first is uncommitted, and
// with the bug appends it too.
func TestPlantedConfChangeWhileInFlight(t *testing.T) {
	for _, planted := range []bool{false, true} {
		bugs.Set(bugs.None)
		if planted {
			bugs.Set(bugs.ConfChangeWhileInFlight)
		}
		c := newClusterSpares(t, 3, 2)
		c.campaign(1)
		c.flush()
		c.cutAllBut(1)
		if _, _, err := c.nodes[1].ProposeConfChange(addLearner(4)); err != nil {
			t.Fatalf("the first change: %v", err)
		}
		_, _, err := c.nodes[1].ProposeConfChange(addLearner(5))
		if planted != (err == nil) {
			t.Fatalf("planted %v: the second change in flight: %v", planted, err)
		}
		if !planted && !errors.Is(err, ErrConfChangeInProgress) {
			t.Fatalf("the second change was refused with %v, want ErrConfChangeInProgress", err)
		}
		bugs.Set(bugs.None)
	}
}
