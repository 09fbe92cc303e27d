package replica

import (
	"net"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/raftsim/raftsim/raft"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A replica that cannot start returns an error and leaves nothing open:
// the log it opened is closed, so opening it again works.
func TestStartFailureCleansUp(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	cfg := Config{ClusterID: 1, ID: 1, Peers: map[raft.NodeID]string{1: "127.0.0.1:0"}, ClientAddr: busy.Addr().String(), Dir: dir}
	if _, err := Start(cfg); err == nil || !strings.Contains(err.Error(), "client address") {
		t.Fatalf("Start on a busy client address: %v", err)
	}
	cfg.ClientAddr = "127.0.0.1:0"
	cfg.SnapshotEvery = 10 // the file store keeps snapshots
	r, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start after the failures: %v", err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
}
