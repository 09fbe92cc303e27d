// Command raftsim runs, replays and fuzzes raftsim scenarios and checks
// recorded histories. See the package documentation (doc.go) and README.md.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
