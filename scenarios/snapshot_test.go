package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/sim"
)

// The compaction keys, the bandwidth and the snapshot nemeses read, and
// their bad values name file, line and field.
func TestParseSnapshotKeys(t *testing.T) {
	const text = `nodes = 3
duration = "3s"
[raft]
snapshot_every = 50
snapshot_keep = 10
snapshot_chunk = "16KiB"
[network]
bandwidth = "1MiB/s"
[[timeline]]
at = "1s"
action = "crash_on_snapshot"
until = "2s"
within = "2ms"
restart_after = "100ms..300ms"
power_loss = true
[[timeline]]
at = "1s"
action = "isolate_on_snapshot"
until = "2s"
within = "5ms"
reconnect_after = "200ms"
sender = true
[[timeline]]
at = "2500ms"
action = "link"
from = 1
to = 2
bandwidth = "64KB/s"
`
	s, err := Parse("x.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Config.Raft
	if r.SnapshotEvery != 50 || r.SnapshotKeep != 10 || r.SnapshotChunkBytes != 16<<10 {
		t.Fatalf("raft %+v", r)
	}
	if s.Config.Network.Bandwidth != 1<<20 {
		t.Fatalf("bandwidth %d", s.Config.Network.Bandwidth)
	}
	tl := s.Config.Timeline
	if a := tl[0]; a.Kind != sim.ActCrashOnSnapshot || !a.PowerLoss || a.After != 2e6 || a.RestartAfterMax != 3e8 {
		t.Fatalf("crash_on_snapshot %+v", a)
	}
	if a := tl[1]; a.Kind != sim.ActIsolateOnSnapshot || !a.Sender || a.After != 5e6 || a.RestartAfter != 2e8 {
		t.Fatalf("isolate_on_snapshot %+v", a)
	}
	if a := tl[2]; a.Link.Bandwidth != 64_000 {
		t.Fatalf("link bandwidth %d", a.Link.Bandwidth)
	}
	roundTrip(t, s)

	const base = "nodes = 3\nduration = \"3s\"\n"
	nemesis := func(kind, extra string) string {
		return base + "[[timeline]]\nat = \"1s\"\naction = \"" + kind + "\"\nuntil = \"2s\"\n" + extra
	}
	for _, c := range []struct{ name, text, prefix, msg string }{
		{"chunk without unit", base + "[raft]\nsnapshot_chunk = \"16\"\n", "x.toml:4: raft.snapshot_chunk: ", "has no unit"},
		{"chunk as an integer", base + "[raft]\nsnapshot_chunk = 16384\n", "x.toml:4: raft.snapshot_chunk: ", "want a size string"},
		{"chunk too large", base + "[raft]\nsnapshot_chunk = \"1GiB\"\n", "x.toml:4: raft.snapshot_chunk: ", "is more than"},
		{"negative snapshot_every", base + "[raft]\nsnapshot_every = -1\n", "x.toml:4: raft.snapshot_every: ", "outside"},
		{"bandwidth without /s", base + "[network]\nbandwidth = \"1MiB\"\n", "x.toml:4: network.bandwidth: ", "a size per second"},
		{"bandwidth too small", base + "[network]\nbandwidth = \"10B/s\"\n", "x.toml:4: network.bandwidth: ", "below the least"},
		{"bad size number", base + "[network]\nbandwidth = \"x1MiB/s\"\n", "x.toml:4: network.bandwidth: ", "is not a size"},
		{"crash_on_snapshot without restart", nemesis("crash_on_snapshot", ""), "x.toml:5: timeline[0].action: ", "needs restart_after"},
		{"isolate_on_snapshot takes no power_loss", nemesis("isolate_on_snapshot", "reconnect_after = \"1s\"\npower_loss = true\n"), "x.toml:8: timeline[0].power_loss: ", "takes no power_loss"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(c.text))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %v, want an *Error", err)
			}
			if got := err.Error(); !strings.HasPrefix(got, c.prefix) || !strings.Contains(got, c.msg) {
				t.Fatalf("error\n  %s\nwant prefix %q and %q", got, c.prefix, c.msg)
			}
		})
	}
}

func TestBytesFormatRoundTrips(t *testing.T) {
	for _, n := range []uint64{1, 512, 1024, 1536, 16 << 10, 1 << 20, 3 << 30, 1000} {
		got, err := parseBytes(formatBytes(n))
		if err != nil || got != n {
			t.Fatalf("%d: %q parses to %d, %v", n, formatBytes(n), got, err)
		}
	}
}
