// Command benchtable reads `go test -bench` output of the raft/bench
// benchmarks (BenchmarkOurs, BenchmarkEtcd37, BenchmarkEtcd36) on
// standard input and prints the comparison table: the median of each
// metric over the runs, per cluster size, mode and implementation, then
// our speedup over the faster etcd. raft/bench/run.sh feeds it.
//
// Exit status: 0 with a table, 2 when the input holds no benchmark result
// or a line it cannot parse.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// impls maps benchmark names to implementations, in table order.
var impls = []struct{ bench, name string }{
	{"BenchmarkOurs", "ours"},
	{"BenchmarkOursCompacting", "ours+compaction"},
	{"BenchmarkEtcd36", "etcd-3.6.0"},
	{"BenchmarkEtcd37", "etcd-3.7.0"},
}

const ours = "ours"

// metrics are the units read from each result line, in column order.
var metrics = []string{"ns/op", "cpu-ns/commit", "allocs/commit", "B/commit"}

type key struct {
	nodes int
	mode  string
	impl  string
}

// results holds every sample of every metric; order keeps the first-seen
// order of cluster sizes and modes.
type results struct {
	samples map[key]map[string][]float64
	order   []key
}

func main() {
	targetX := flag.Float64("target", 2, "speedup over the faster etcd that ours should reach")
	targetNodes := flag.Int("target-nodes", 3, "cluster size the target applies to")
	flag.Parse()
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	}
	render(os.Stdout, r, *targetX, *targetNodes)
}

func parse(in io.Reader) (*results, error) {
	r := &results{samples: map[key]map[string][]float64{}}
	sc := bufio.NewScanner(in)
	for line := 1; sc.Scan(); line++ {
		// Like benchstat, read only result lines (name, iterations,
		// measurements): a failed benchmark prints its name and "--- FAIL".
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		k, err := parseName(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(f) < 4 || len(f)%2 != 0 {
			return nil, fmt.Errorf("line %d: want name, iterations and value-unit pairs, got %q", line, sc.Text())
		}
		if _, ok := r.samples[k]; !ok {
			r.samples[k] = map[string][]float64{}
			r.order = append(r.order, k)
		}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: value %q of %s: %w", line, f[i], f[i+1], err)
			}
			r.samples[k][f[i+1]] = append(r.samples[k][f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(r.order) == 0 {
		return nil, fmt.Errorf("no benchmark results in the input")
	}
	return r, nil
}

// parseName splits BenchmarkX/nodes=N/MODE-PROCS.
func parseName(name string) (key, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || !strings.HasPrefix(parts[1], "nodes=") {
		return key{}, fmt.Errorf("benchmark %q is not BenchmarkX/nodes=N/MODE", name)
	}
	var k key
	for _, im := range impls {
		if parts[0] == im.bench {
			k.impl = im.name
		}
	}
	if k.impl == "" {
		return key{}, fmt.Errorf("benchmark %q: unknown implementation %q", name, parts[0])
	}
	n, err := strconv.Atoi(strings.TrimPrefix(parts[1], "nodes="))
	if err != nil {
		return key{}, fmt.Errorf("benchmark %q: %w", name, err)
	}
	k.nodes = n
	k.mode = parts[2]
	if i := strings.LastIndexByte(k.mode, '-'); i > 0 {
		k.mode = k.mode[:i]
	}
	return k, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cases returns the (nodes, mode) pairs: nodes ascending, modes in the
// order they were first seen.
func (r *results) cases() []key {
	var modes []string
	var nodes []int
	for _, k := range r.order {
		if !slices.Contains(modes, k.mode) {
			modes = append(modes, k.mode)
		}
		if !slices.Contains(nodes, k.nodes) {
			nodes = append(nodes, k.nodes)
		}
	}
	slices.Sort(nodes)
	var cs []key
	for _, n := range nodes {
		for _, m := range modes {
			cs = append(cs, key{nodes: n, mode: m})
		}
	}
	return cs
}

func (r *results) get(k key, metric string) (float64, int) {
	xs := r.samples[k][metric]
	return median(xs), len(xs)
}

func render(out io.Writer, r *results, targetX float64, targetNodes int) {
	fmt.Fprintln(out, "Per committed 16-byte command; medians over the runs (n). commits/s is 1e9 / ns/commit.")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "nodes\tmode\timpl\tn\tns/commit\tcommits/s\tcpu-ns/commit\tallocs/commit\tB/commit\t")
	for _, c := range r.cases() {
		for _, im := range impls {
			k := key{c.nodes, c.mode, im.name}
			if _, ok := r.samples[k]; !ok {
				continue
			}
			ns, n := r.get(k, "ns/op")
			cpu, _ := r.get(k, "cpu-ns/commit")
			allocs, _ := r.get(k, "allocs/commit")
			bytes, _ := r.get(k, "B/commit")
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%.0f\t\n",
				c.nodes, c.mode, im.name, n, ns, 1e9/ns, cpu, allocs, bytes)
		}
	}
	w.Flush()

	fmt.Fprintf(out, "\nSpeedup of ours over the faster etcd, mode for mode, and over etcd's variants of\n"+
		"the mode (MODE-VARIANT; -onecall: the batch in one MsgProp). Target: %.3gx at %d nodes, wall time.\n", targetX, targetNodes)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "nodes\tmode\tours commits/s\tetcd mode\tbest etcd\tits commits/s\tspeedup wall\tspeedup cpu\ttarget\t")
	for _, c := range r.cases() {
		oursKey := key{c.nodes, c.mode, ours}
		oursNS, n := r.get(oursKey, "ns/op")
		if n == 0 {
			continue
		}
		oursCPU, _ := r.get(oursKey, "cpu-ns/commit")
		for _, etcdMode := range r.variants(c) {
			best, bestNS, bestCPU := "", 0.0, 0.0
			for _, im := range impls {
				if strings.HasPrefix(im.name, ours) {
					continue
				}
				k := key{c.nodes, etcdMode, im.name}
				ns, n := r.get(k, "ns/op")
				if n > 0 && (best == "" || ns < bestNS) {
					best, bestNS = im.name, ns
					bestCPU, _ = r.get(k, "cpu-ns/commit")
				}
			}
			speedup := bestNS / oursNS
			verdict := ""
			if c.nodes == targetNodes {
				verdict = "met"
				if speedup < targetX {
					verdict = "BELOW"
				}
			}
			cpuSpeedup := "-"
			if oursCPU > 0 && bestCPU > 0 {
				cpuSpeedup = fmt.Sprintf("%.2fx", bestCPU/oursCPU)
			}
			fmt.Fprintf(w, "%d\t%s\t%.0f\t%s\t%s\t%.0f\t%.2fx\t%s\t%s\t\n",
				c.nodes, c.mode, 1e9/oursNS, etcdMode, best, 1e9/bestNS, speedup, cpuSpeedup, verdict)
		}
	}
	w.Flush()
}

// variants returns the etcd modes that c's mode is compared with: the
// same mode, then MODE-VARIANT modes, each only if some etcd ran it.
func (r *results) variants(c key) []string {
	var modes []string
	for _, k := range r.order {
		if k.impl == ours || k.nodes != c.nodes || slices.Contains(modes, k.mode) {
			continue
		}
		if k.mode == c.mode || strings.HasPrefix(k.mode, c.mode+"-") {
			modes = append(modes, k.mode)
		}
	}
	slices.SortStableFunc(modes, func(a, b string) int { return len(a) - len(b) })
	return modes
}
