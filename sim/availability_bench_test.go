package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
)

// The availability gap of a leadership change: the virtual time from the
// moment the leader stops taking writes - it crashes, or it starts
// handing leadership over (a transferring leader refuses proposals) -
// until a leader elected since has committed an entry of its term, and
// so can commit writes again (§3.10 of the thesis: a transfer avoids the
// election timeout a crash costs). Measured over availabilitySeeds seeds
// of the default 5-node cluster (election timeout 100-200 ms, links of
// 1-5 ms, 10 clients), the event at one second into the run.

// availabilitySeeds is how many seeds each figure is measured over.
const availabilitySeeds = 200

// availabilityAt is when the leader crashes or starts the transfer.
const availabilityAt = time.Second

// availabilityConfig is the run of one seed: the default cluster and
// action at availabilityAt.
func availabilityConfig(seed uint64, a Action) Config {
	cfg := Defaults()
	cfg.Seed = seed
	cfg.Duration = 2 * time.Second
	cfg.Liveness = LivenessConfig{LeaderWithin: time.Second, ProgressWithin: 2 * time.Second}
	cfg.HealDuration = 2500 * time.Millisecond
	a.At = availabilityAt
	cfg.Timeline = []Action{a}
	return cfg
}

// availabilityGap is the gap of res after at: from at until a leader
// elected at or after it committed an entry of its term. ok is false
// when no leader was committing at at, or none was elected after it
// that committed.
func availabilityGap(res *Result, at clock.Time) (gap time.Duration, ok bool) {
	leading := false
	for _, t := range res.Tenures {
		if t.Committed != 0 && t.Committed <= at && (t.Ended == 0 || t.Ended >= at) {
			leading = true
		}
	}
	if !leading {
		return 0, false
	}
	first := clock.Time(0)
	for _, t := range res.Tenures {
		if t.Elected >= at && t.Committed != 0 && (first == 0 || t.Committed < first) {
			first = t.Committed
		}
	}
	if first == 0 {
		return 0, false
	}
	return first.Sub(at), true
}

// benchAvailability measures the gap over availabilitySeeds seeds and
// reports its median, 99th percentile and maximum, in milliseconds of
// virtual time, and how many seeds gave no gap to measure.
func benchAvailability(b *testing.B, a Action) {
	var gaps []time.Duration
	skipped := 0
	for b.Loop() {
		gaps, skipped = gaps[:0], 0
		for seed := uint64(1); seed <= availabilitySeeds; seed++ {
			res, err := Run(availabilityConfig(seed, a))
			if err != nil {
				b.Fatal(err)
			}
			if !res.Passed() {
				b.Fatalf("seed %d failed: %v", seed, res.Failures)
			}
			if a.Kind == ActTransferLeader && (len(res.Membership) != 1 || res.Membership[0].Outcome != "ok") {
				skipped++
				continue
			}
			gap, ok := availabilityGap(res, clock.Time(0).Add(availabilityAt))
			if !ok {
				skipped++
				continue
			}
			gaps = append(gaps, gap)
		}
	}
	if len(gaps) == 0 {
		b.Fatalf("no seed of %d gave a gap to measure", availabilitySeeds)
	}
	slices.Sort(gaps)
	rank := func(p int) time.Duration { return gaps[(len(gaps)*p+99)/100-1] } // nearest rank
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(rank(50)), "gap-median-ms")
	b.ReportMetric(ms(rank(99)), "gap-p99-ms")
	b.ReportMetric(ms(gaps[len(gaps)-1]), "gap-max-ms")
	b.ReportMetric(float64(skipped), "seeds-unmeasured")
}

// BenchmarkAvailabilityGapLeaderCrash: the leader crashes.
func BenchmarkAvailabilityGapLeaderCrash(b *testing.B) {
	benchAvailability(b, Action{Kind: ActCrash, Leader: true})
}

// BenchmarkAvailabilityGapLeaderTransfer: the leader hands leadership to
// a random follower (TimeoutNow once the follower is caught up).
func BenchmarkAvailabilityGapLeaderTransfer(b *testing.B) {
	benchAvailability(b, Action{Kind: ActTransferLeader, Follower: true})
}
