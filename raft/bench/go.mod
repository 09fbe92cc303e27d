module github.com/raftsim/raftsim/raft/bench

go 1.26.0

require (
	github.com/raftsim/raftsim v0.0.0-00010101000000-000000000000
	github.com/raftsim/raftsim/raft/bench/driver v0.0.0-00010101000000-000000000000
	go.etcd.io/raft/v3 v3.7.0
)

require (
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)

replace (
	github.com/raftsim/raftsim => ../..
	github.com/raftsim/raftsim/raft/bench/driver => ./driver
)
