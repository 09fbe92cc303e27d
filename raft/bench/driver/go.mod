module github.com/raftsim/raftsim/raft/bench/driver

go 1.26
