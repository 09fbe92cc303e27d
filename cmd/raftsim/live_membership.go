package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/resp"
	"github.com/raftsim/raftsim/sim"
)

// The membership faults of `raftsim live` (§6), made through the admin
// commands an operator would use, at whoever leads:
//
//   - transfer: RAFT.TRANSFER to a random other node; nothing to heal.
//   - member: RAFT.REMOVE of a random node other than the leader, and
//     RAFT.ADDVOTER of it again when the fault heals. The node keeps
//     running, removed, in between; it rejoins with the log it kept.
//
// Faults come one at a time, so the cluster is never down a voter for a
// membership fault and another fault at once.

// adminWithin bounds one admin request, retries included.
const adminWithin = 10 * time.Second

// adminRetry is the pause between tries of an admin request that found
// no leader or was told to try again.
const adminRetry = 50 * time.Millisecond

// admin sends one admin command to the node that leads, asking again
// (another leader, a change in flight) until it is answered or ctx ends.
// It returns the reply, or the error reply that ended it as an error.
func (n *nemesis) admin(ctx context.Context, args ...string) (resp.Value, error) {
	ctx, cancel := context.WithTimeout(ctx, adminWithin)
	defer cancel()
	for {
		lead, err := n.cluster.WaitLeader(ctx)
		if err != nil {
			return resp.Value{}, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
		}
		v, err := adminOnce(ctx, n.cluster.Node(lead).ClientAddr, args)
		switch {
		case err == nil && !v.IsError():
			return v, nil
		case err == nil && !strings.HasPrefix(v.Str, resp.CodeTryAgain) && !strings.HasPrefix(v.Str, "NOTLEADER"):
			return v, fmt.Errorf("%s: node %d answered %s", strings.Join(args, " "), lead, v.Str)
		}
		if !sleepCtx(ctx, adminRetry) {
			return resp.Value{}, fmt.Errorf("%s: %w", strings.Join(args, " "), ctx.Err())
		}
	}
}

// adminOnce sends args to the node at addr on a connection of its own.
func adminOnce(ctx context.Context, addr string, args []string) (resp.Value, error) {
	c, err := resp.Dial(addr, time.Second)
	if err != nil {
		return resp.Value{}, err
	}
	defer c.Close()
	return c.Do(ctx, args...)
}

// leaderNow asks the nodes which one leads; None when they do not agree
// within a second.
func (n *nemesis) leaderNow(ctx context.Context) raft.NodeID {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	lead, _ := n.cluster.WaitLeader(ctx)
	return lead
}

// other picks a node other than lead at random.
func (n *nemesis) other(lead raft.NodeID) raft.NodeID {
	var ids []raft.NodeID
	for _, id := range n.ids {
		if id != lead {
			ids = append(ids, id)
		}
	}
	return ids[n.rand.IntN(len(ids))]
}

// injectMembership starts a membership fault and returns how to end it,
// with its window (End unset); nil if it could not start.
func (n *nemesis) injectMembership(kind string) (func(), sim.FaultWindow) {
	w := sim.FaultWindow{Kind: "membership", Start: n.now()}
	ctx := context.Background()
	lead := n.leaderNow(ctx)
	if lead == raft.None || len(n.ids) < 2 {
		return nil, w
	}
	target := n.other(lead)
	w.Nodes = []raft.NodeID{target}
	id := strconv.Itoa(int(target))
	switch kind {
	case "transfer":
		if _, err := n.admin(ctx, "RAFT.TRANSFER", id); err != nil {
			n.note(err)
			return nil, w
		}
		w.Label = fmt.Sprintf("transfer leadership from node %d to %s", lead, id)
		return func() {}, w
	case "member":
		if _, err := n.admin(ctx, "RAFT.REMOVE", id); err != nil {
			n.note(err)
			return nil, w
		}
		n.removed = append(n.removed, target)
		w.Label = "remove node " + id
		return func() { n.readd(target) }, w
	}
	return nil, w
}

// readd adds a removed node back as a voter; one that cannot be is left
// to healAll.
func (n *nemesis) readd(id raft.NodeID) {
	if _, err := n.admin(context.Background(), "RAFT.ADDVOTER", strconv.Itoa(int(id))); err != nil {
		n.note(err)
		return
	}
	n.removed = slices.DeleteFunc(n.removed, func(x raft.NodeID) bool { return x == id })
}

// healMembership adds back every node still removed, once every other
// fault has healed (a change needs a leader).
func (n *nemesis) healMembership() {
	for _, id := range slices.Clone(n.removed) {
		n.readd(id)
	}
	if len(n.removed) > 0 {
		n.note(errors.New("nodes " + fmt.Sprint(n.removed) + " could not be added back"))
	}
}

// note reports an admin request that failed.
func (n *nemesis) note(err error) {
	fmt.Fprintf(n.out, "  %6.1fs  membership: %v\n", time.Since(n.start).Seconds(), err)
}
