package sim

import (
	"strings"
	"testing"
	"time"
)

// The probe samples every ProbeEvery, leaves the run as it was (same
// digest), and sees compaction keep the logs short.
func TestProbeSamplesWithoutChangingTheRun(t *testing.T) {
	cfg := Defaults()
	cfg.Seed = 3
	cfg.Duration, cfg.HealDuration = 2*time.Second, time.Second
	cfg.Raft.SnapshotEvery, cfg.Raft.SnapshotKeep = 50, 10
	plain, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var samples []ProbeSample
	cfg.ProbeEvery = 250 * time.Millisecond
	cfg.Probe = func(p ProbeSample) { samples = append(samples, p) }
	probed, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if probed.TraceDigest != plain.TraceDigest {
		t.Fatal("the probe changed the run")
	}
	if len(samples) != 12 || samples[0].Time != 250*time.Millisecond || samples[11].Time != 3*time.Second {
		t.Fatalf("%d samples, first at %v: want 12, every 250ms", len(samples), samples[0].Time)
	}
	last := samples[len(samples)-1]
	if last.SnapshotIndex == 0 || last.MaxLogEntries > 50+10+200 {
		t.Fatalf("last sample %+v: want a snapshot and a short log", last)
	}
	cfg.ProbeEvery = time.Microsecond
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "probe_every") {
		t.Fatalf("Validate with a probe every microsecond: %v", err)
	}
}
