// Package disk is the file I/O of a durable store, behind a small
// interface (FS, File) with two implementations: OS, the operating
// system's files, and Sim, a simulated disk for the simulator.
//
// A store that does all its I/O through FS can run unchanged in
// production and under simulation, where the disk misbehaves the way real
// disks do and every run stays a pure function of its seed. Sim starts no
// goroutines, reads no clock and draws from a random stream of its own.
//
// # The simulated disk's fault model
//
// Durability follows POSIX (see FS): data is durable once its file's
// fsync returned nil; a name (create, rename, remove) once its
// directory's fsync did. On top of that, Sim injects:
//
//   - power loss (PowerLoss): every file keeps its durable bytes and an
//     arbitrary subset of its unsynced writes, each kept or lost with even
//     odds independently of the others, so a later write can survive an
//     earlier one that did not, as on real disks with write caches and
//     reordering; the last write kept may be torn, only a prefix of its
//     last sector reaching the medium; names revert to their last synced
//     state;
//   - latent corruption of synced data (Corrupt): a bit flip, or a sector
//     whose synced bytes read back as zeros;
//   - a failing fsync (FaultSyncError): the call returns ErrIO and the
//     writes it covered never become durable, whatever a later fsync
//     returns;
//   - write errors: ErrIO, or ErrNoSpace when the disk is full (SetFull,
//     SimConfig.CapacityBytes);
//   - a misdirected write (FaultMisdirect): reported as done, it lands a
//     few sectors away from where it was meant to go, damaging what was
//     there and leaving the intended bytes unwritten;
//   - a stale read (FaultStaleRead): one sector comes back as it was
//     before its latest write.
//
// Faults come one at a time (Arm) or at random rates per operation
// (SimConfig.Rates, integer ratios). Each is counted (Stats) and logged
// with the file and bytes it hit (Events). Damage answers, for any byte
// range, whether a power loss or a latent fault touched it: a simulator
// uses it to tell a store's legitimate recovery (cutting off a torn
// write, repairing a corrupted record) from a bug (losing synced data no
// fault touched).
//
// Latency is accounted, not waited for: each write draws one from
// SimConfig's range and TakeLatency hands the sum to the simulator.
//
// # Usage
//
//	d, _ := disk.NewSim(disk.SimConfig{}, rand.New(rand.NewPCG(seed, stream)))
//	f, _ := d.OpenFile("/n1/log", os.O_RDWR|os.O_CREATE, 0o600)
//	f.WriteAt(record, 0)
//	f.Sync()
//	d.PowerLoss() // the record survives; unsynced writes may not
package disk
