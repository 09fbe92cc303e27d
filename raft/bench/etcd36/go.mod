module github.com/raftsim/raftsim/raft/bench/etcd36

go 1.26

require (
	github.com/raftsim/raftsim/raft/bench/driver v0.0.0-00010101000000-000000000000
	go.etcd.io/raft/v3 v3.6.0
)

require (
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	google.golang.org/protobuf v1.33.0 // indirect
)

replace github.com/raftsim/raftsim/raft/bench/driver => ../driver
