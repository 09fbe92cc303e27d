package replica

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// Local is a cluster of replicas in one process, on loopback ports the
// OS picks: for tests and examples.
type Local struct {
	IDs      []raft.NodeID
	Replicas map[raft.NodeID]*Replica
	cfgs     map[raft.NodeID]Config
}

// StartLocal starts n replicas with their directories under root;
// tweak, if not nil, adjusts each configuration. The timings (elections
// after 300 to 600 ms of silence) survive a loaded 2-core machine.
func StartLocal(n int, root string, tweak func(*Config)) (*Local, error) {
	l := &Local{Replicas: map[raft.NodeID]*Replica{}, cfgs: map[raft.NodeID]Config{}}
	peers := map[raft.NodeID]string{}
	peerLns := map[raft.NodeID]net.Listener{}
	for i := 1; i <= n; i++ {
		id := raft.NodeID(i)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeAll(peerLns)
			return nil, err
		}
		peerLns[id] = ln
		peers[id] = ln.Addr().String()
		l.IDs = append(l.IDs, id)
	}
	for _, id := range l.IDs {
		cfg := Config{ClusterID: 1, ID: id, Peers: peers, ClientAddr: "127.0.0.1:0",
			PeerListener: peerLns[id], Dir: filepath.Join(root, fmt.Sprintf("node%d", id)),
			TickInterval: 10 * time.Millisecond, ElectionTicks: 30, HeartbeatTicks: 3}
		if tweak != nil {
			tweak(&cfg)
		}
		r, err := Start(cfg)
		if err != nil {
			l.Close()
			closeAll(peerLns)
			return nil, err
		}
		cfg.PeerListener = nil
		l.cfgs[id] = cfg
		l.Replicas[id] = r
	}
	return l, nil
}

func closeAll(lns map[raft.NodeID]net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// Stop stops one replica cleanly; it stays down until Restart.
func (l *Local) Stop(id raft.NodeID) error {
	r := l.Replicas[id]
	if r == nil {
		return nil
	}
	delete(l.Replicas, id)
	return r.Stop()
}

// Restart starts a stopped replica again on its directory and peer
// address (waiting up to 2 s for the port to be free).
func (l *Local) Restart(id raft.NodeID) error {
	if l.Replicas[id] != nil {
		return fmt.Errorf("replica %d is running", id)
	}
	var err error
	for i := 0; i < 200; i++ {
		var r *Replica
		if r, err = Start(l.cfgs[id]); err == nil {
			l.Replicas[id] = r
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// Close stops every replica.
func (l *Local) Close() error {
	var errs []error
	for _, id := range l.IDs {
		errs = append(errs, l.Stop(id))
	}
	return errors.Join(errs...)
}

// Leader waits up to timeout for a leader that every running replica
// follows.
func (l *Local) Leader(timeout time.Duration) (raft.NodeID, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var lead raft.NodeID
		agree := true
		for _, id := range l.IDs {
			r := l.Replicas[id]
			if r == nil {
				continue
			}
			st := r.Server().Status()
			if lead == raft.None {
				lead = st.Leader
			}
			agree = agree && st.Leader != raft.None && st.Leader == lead
		}
		if agree && lead != raft.None && l.Replicas[lead] != nil && l.Replicas[lead].Server().Status().Role == raft.RoleLeader {
			return lead, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return raft.None, fmt.Errorf("no leader within %v", timeout)
}
