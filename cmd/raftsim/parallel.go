package main

import "sync"

// parallelSeeds runs run on each seed on up to workers goroutines (runs
// share nothing) and hands each outcome to collect on the calling
// goroutine, in completion order, so collect needs no lock. Once collect
// returns false, or a run returns an error, no further seed is started;
// runs under way finish and are still collected. It returns the first
// error.
func parallelSeeds[T any](seeds seedSeq, workers int, run func(uint64) (T, error), collect func(pos uint64, r T) bool) error {
	type outcome struct {
		pos uint64
		r   T
		err error
	}
	jobs := make(chan uint64)
	outcomes := make(chan outcome)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range min(uint64(workers), seeds.count) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pos := range jobs {
				r, err := run(seeds.at(pos))
				outcomes <- outcome{pos, r, err}
			}
		}()
	}
	go func() {
	feed:
		for pos := range seeds.count {
			select {
			case jobs <- pos:
			case <-stop:
				break feed
			}
		}
		close(jobs)
		wg.Wait()
		close(outcomes)
	}()
	stopOnce := sync.OnceFunc(func() { close(stop) })
	var firstErr error
	for o := range outcomes {
		if o.err != nil {
			if firstErr == nil {
				firstErr = o.err
			}
			stopOnce()
			continue
		}
		if !collect(o.pos, o.r) {
			stopOnce()
		}
	}
	return firstErr
}
