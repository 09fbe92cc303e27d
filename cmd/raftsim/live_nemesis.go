package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"syscall"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/faultproxy"
	"github.com/raftsim/raftsim/raft/localcluster"
	"github.com/raftsim/raftsim/sim"
)

// liveFaults are the fault kinds `raftsim live --faults` knows.
var liveFaults = []string{"kill", "pause", "partition", "oneway", "latency", "transfer", "member"}

// nemesis injects real faults, one at a time: SIGKILL and restart,
// SIGSTOP and SIGCONT, a node cut off by the proxy (both ways, or only
// its outgoing frames), added latency on every link, and membership
// changes through the admin commands (live_membership.go).
type nemesis struct {
	kinds   []string
	cluster *localcluster.Cluster
	proxy   *faultproxy.Proxy
	rand    *rand.Rand
	ids     []raft.NodeID
	start   time.Time
	out     io.Writer

	windows []sim.FaultWindow
	counts  map[string]int
	// removed holds the nodes a member fault removed and that are not
	// added back yet.
	removed []raft.NodeID
}

func (n *nemesis) now() clock.Time { return clock.Time(time.Since(n.start)) }

// run injects faults until ctx ends, then heals everything.
func (n *nemesis) run(ctx context.Context) {
	n.counts = map[string]int{}
	for {
		if !sleepCtx(ctx, time.Duration(500+n.rand.IntN(1500))*time.Millisecond) {
			return
		}
		kind := n.kinds[n.rand.IntN(len(n.kinds))]
		hold := time.Duration(1000+n.rand.IntN(2000)) * time.Millisecond
		var heal func()
		var window sim.FaultWindow
		if kind == "transfer" || kind == "member" {
			heal, window = n.injectMembership(kind)
		} else {
			heal, window = n.inject(kind, n.pick(ctx))
		}
		if heal == nil {
			continue
		}
		n.counts[kind]++
		fmt.Fprintf(n.out, "  %6.1fs  %s\n", time.Since(n.start).Seconds(), window.Label)
		sleepCtx(ctx, hold)
		heal()
		window.End = n.now()
		n.windows = append(n.windows, window)
	}
}

// pick chooses the leader half of the time (found by asking the nodes),
// else a random node.
func (n *nemesis) pick(ctx context.Context) raft.NodeID {
	if n.rand.IntN(2) == 0 {
		for _, id := range n.ids {
			qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			st, err := n.cluster.Status(qctx, id)
			cancel()
			if err == nil && st["role"] == "leader" {
				return id
			}
		}
	}
	return n.ids[n.rand.IntN(len(n.ids))]
}

// inject starts a fault on target and returns how to end it, with its
// window (End unset); nil if it could not start.
func (n *nemesis) inject(kind string, target raft.NodeID) (func(), sim.FaultWindow) {
	w := sim.FaultWindow{Nodes: []raft.NodeID{target}, Start: n.now()}
	c := n.cluster
	switch kind {
	case "kill":
		if c.Signal(target, syscall.SIGKILL) != nil {
			return nil, w
		}
		w.Kind, w.Label = "crash", "kill -9 node "+strconv.Itoa(int(target))
		return func() { c.Restart(target) }, w
	case "pause":
		if c.Signal(target, syscall.SIGSTOP) != nil {
			return nil, w
		}
		w.Kind, w.Label = "pause", "SIGSTOP node "+strconv.Itoa(int(target))
		return func() { c.Signal(target, syscall.SIGCONT) }, w
	case "partition", "oneway":
		for _, o := range n.ids {
			if o == target {
				continue
			}
			n.proxy.SetDirection(target, o, faultproxy.Fault{Drop: true})
			if kind == "partition" {
				n.proxy.SetDirection(o, target, faultproxy.Fault{Drop: true})
			}
		}
		w.Kind, w.Label = "partition", "isolate node "+strconv.Itoa(int(target))
		if kind == "oneway" {
			w.Label = "cut node " + strconv.Itoa(int(target)) + "'s outgoing links"
		}
		return n.proxy.HealAll, w
	case "latency":
		d := time.Duration(10+n.rand.IntN(90)) * time.Millisecond
		for _, a := range n.ids {
			for _, b := range n.ids {
				if a != b {
					n.proxy.SetDirection(a, b, faultproxy.Fault{Delay: d})
				}
			}
		}
		w.Kind, w.Nodes, w.Label = "network", append([]raft.NodeID(nil), n.ids...), fmt.Sprintf("add %v latency to every link", d)
		return n.proxy.HealAll, w
	}
	return nil, w
}

// healAll ends every fault: links restored, paused nodes resumed, dead
// nodes restarted.
func (n *nemesis) healAll() {
	n.proxy.HealAll()
	for _, node := range n.cluster.Nodes {
		if node.Paused() {
			n.cluster.Signal(node.ID, syscall.SIGCONT)
		}
		if !node.Running() {
			n.cluster.Restart(node.ID)
		}
	}
	n.healMembership()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
