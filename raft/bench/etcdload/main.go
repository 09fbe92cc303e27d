// Command etcdload drives an etcd cluster with the load redis-benchmark
// puts on raftsim: C clients (one connection each), each with K requests
// in flight (K=1: request-reply; K=16: like redis-benchmark -P 16),
// values of D bytes, keys drawn from a keyspace of R, for N requests in
// all. It prints requests per second and the p50 and p99 latency.
//
//	etcdload --endpoints 127.0.0.1:2379,... --op put --clients 50 --inflight 1 --requests 100000 --size 100
//
// It lives in its own module so that etcd's client stays out of
// raftsim's dependency graph.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated etcd client endpoints")
	op := flag.String("op", "put", "put or get (a linearizable read)")
	clients := flag.Int("clients", 50, "clients, one connection each")
	inflight := flag.Int("inflight", 1, "requests in flight per client")
	requests := flag.Int("requests", 100000, "requests in all")
	size := flag.Int("size", 100, "value size in bytes")
	keyspace := flag.Int("keyspace", 100000, "keys are drawn from this many")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on the whole run")
	flag.Parse()
	if *op != "put" && *op != "get" || *clients < 1 || *inflight < 1 || *requests < 1 || *size < 0 || *keyspace < 1 {
		fmt.Fprintln(os.Stderr, "etcdload: bad flags")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	eps := strings.Split(*endpoints, ",")
	conns := make([]*clientv3.Client, *clients)
	for i := range conns {
		c, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			fmt.Fprintln(os.Stderr, "etcdload:", err)
			os.Exit(1)
		}
		defer c.Close()
		conns[i] = c
	}
	value := strings.Repeat("x", *size)
	if *op == "get" { // Reads need keys that exist.
		for k := 0; k < min(*keyspace, 1000); k++ {
			if _, err := conns[0].Put(ctx, fmt.Sprintf("key:%012d", k), value); err != nil {
				fmt.Fprintln(os.Stderr, "etcdload: preload:", err)
				os.Exit(1)
			}
		}
	}
	var next atomic.Int64
	lat := make([][]time.Duration, *clients**inflight)
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range lat {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := conns[w%*clients]
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for next.Add(1) <= int64(*requests) && ctx.Err() == nil {
				key := fmt.Sprintf("key:%012d", r.IntN(*keyspace))
				if *op == "get" {
					key = fmt.Sprintf("key:%012d", r.IntN(min(*keyspace, 1000)))
				}
				t0 := time.Now()
				var err error
				if *op == "put" {
					_, err = c.Put(ctx, key, value)
				} else {
					_, err = c.Get(ctx, key)
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		fmt.Fprintln(os.Stderr, "etcdload: no request succeeded")
		os.Exit(1)
	}
	pct := func(p int) float64 { return float64(all[max((p*len(all)+99)/100, 1)-1]) / 1e6 }
	fmt.Printf("etcd %s clients=%d inflight=%d size=%d: %.0f requests/s, p50 %.3f ms, p99 %.3f ms (%d ok, %d errors, %.1fs)\n",
		*op, *clients, *inflight, *size, float64(len(all))/elapsed.Seconds(), pct(50), pct(99), len(all), errs.Load(), elapsed.Seconds())
}
