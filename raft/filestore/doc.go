// Package filestore is a durable raft.Storage: a node's hard state and log
// kept in append-only segment files in one directory. It does all its I/O
// through raft/disk's small file-system interface (Options.FS): the
// operating system's files by default, or the simulated disk, on which the
// simulator runs every node on this same code and faults it. It starts no
// goroutines and uses the standard library only.
//
// # On-disk format
//
// The directory holds segment files named by a 16-digit sequence number,
// 0000000000000001.seg, 0000000000000002.seg, ..., with no gap. Only the
// last one is written to; a segment is sealed when the next record would
// take it past Options.SegmentSizeBytes.
//
// A segment starts with a 36-byte header, little endian: the magic
// "RAFTSEG\x00" (8 bytes), the format version (uint32, now 3; version 2,
// without synced records, is read too), the sequence
// number (uint64, equal to the one in the name), the link to the previous
// segment - prevBytes (uint64) and prevChain (uint32), zero in segment 1 -
// and a CRC-32C of those 32 bytes. Records follow, back to back, each
// framed as
//
//	length  uint32  payload bytes (at most 64 MiB)
//	crc     uint32  CRC-32C (Castagnoli) of type and payload
//	type    uint8
//	payload [length]byte
//
// There are eight record types:
//
//	1 entries:    first index uint64, count uint32, then per entry
//	              term uint64, entry type uint8, data length uint32, data
//	2 hard state: term uint64, vote uint64, commit uint64
//	3 truncate:   index uint64; removes the entries from index on
//	4 seal:       next sequence uint64, sealed bytes uint64, chain uint32
//	5 snapshot:   index uint64, term uint64, kept uint8; adopts the
//	              snapshot file of that index; kept 0 empties the log,
//	              which continues after the snapshot (§7)
//	6 compact:    index uint64, term uint64 (of the entry at index);
//	              discards the entries up to index
//	7 dropped:    sequence uint64; the segments up to it were deleted
//	              because compaction left them dead
//	8 synced:     size uint64; the active segment's first size bytes
//	              were durable (fsynced) when this write was made
//
// Every write to the active segment is one synced record followed by the
// record it carries, in a single write call, so that a power loss keeps
// or drops both: every record that survives says how much of its
// segment had been synced before it was written.
// An entries record always continues the log: its first index is the last
// index plus one. Append of entries starting at or below the last index
// (a follower overwriting a conflicting suffix, §5.3) writes a truncate
// record and then the entries. Replaying every record in order rebuilds
// the state; the last hard state record wins.
//
// # Integrity: a store knows what it wrote
//
// A checksum per record finds damaged bytes, not missing ones: a segment
// cut at a record boundary, or a whole file gone, reads as a shorter,
// valid log. So the segments are chained. Each segment has a checksum
// chain: the CRC-32C of its header's checksum followed by the stored
// checksum of each of its records, in order (four bytes hashed per
// record). When a segment is sealed, the next segment's header records
// the sealed segment's size and chain (prevBytes, prevChain); since a
// header's checksum covers that link and starts the next chain, the chain
// of the last segment vouches for every segment before it. Then a seal
// record is appended to the sealed segment, naming its successor: it is
// written only once the successor is durable, so a seal with no successor
// means a file was lost. Recovery checks every sealed segment against its
// successor's header, and fails, naming the file, when a segment is
// missing (by a gap in the names, or by a seal with nothing after it), is
// shorter or longer than when sealed, lacks its seal while its successor
// holds records, or holds other records than when sealed (a segment
// swapped or copied in from elsewhere).
//
// The segments cannot say how long the last one was when the node last
// relied on it: its synced records are the ones a crash may not lose,
// and a crash may lose the rest. The state file says it (below): a last
// segment shorter than the state file vouches for, or missing, or a
// directory whose every segment is gone, fails Open.
//
// # The state file
//
// The file "state" holds four copies of what the store vouches for, each
// in a 512-byte sector of its own: the hard state, the active segment,
// how many of its bytes were durable, and the log's last index, as of the
// last Sync that returned. Sync writes it once the segment's fsync has
// returned, into the pair of copies one Sync older than the other pair,
// and fsyncs it before returning: the node sends nothing that depends on
// a Sync before that. A power loss tearing the pair being written leaves
// the other, one Sync older; damage to one copy leaves the other; the
// newest whole copy wins (state.go). A new store writes it, vouching for
// nothing, before its first segment. It costs a second fsync per Sync, of
// two sectors.
//
// Without it, recovery could not tell damage to the records of the last
// Sync (a bit flip in the very last record, a zeroed sector among the
// last Sync's records) from a write a power loss tore, and would cut
// them off, losing entries and a vote the node may have acknowledged: the
// unsafe "truncate" of "Redundancy Does Not Imply Fault Tolerance" (FAST
// '17). A store written before the state file existed is read by the
// rules below without it, and gets one at Open.
//
// # Snapshots and compaction
//
// A snapshot (§7) lives in its own file, NNNNNNNNNNNNNNNN.snap, named by
// its index: magic "RAFTSNP\x00", version, index, term, the configuration
// (raft.EncodeConfState), the state machine's data, and a CRC-32C of it
// all (see snapfile.go). ApplySnapshot writes the file under a temporary
// name, fsyncs it, renames it and fsyncs the directory, and only then
// appends the snapshot record that adopts it; Compact appends a compact
// record. Both records become durable at the next Sync, in order, so a
// crash keeps either the old snapshot and log or the new ones, never a
// compaction without the snapshot that covers it. After that Sync the
// store deletes what they left dead: the oldest sealed segments whose
// entries are all compacted, and snapshot files no record names any more.
// Before deleting segments it copies into the active segment the latest
// hard-state, snapshot and compact records they hold, appends a dropped
// record naming the last segment it deletes, and syncs; then it unlinks
// them and fsyncs the directory.
//
// FirstIndex is then the first entry after the compaction (or the
// snapshot that replaced the log); Entries below it return
// raft.ErrCompacted. Snapshot reads the snapshot file back and checks its
// checksum.
//
// # Durability contract
//
// Append and SetHardState write to the file (one write call per record,
// with its synced record)
// but do not fsync. Sync fsyncs the active segment; the caller sends the
// messages that depend on its writes only after Sync returns nil. A new
// segment becomes durable, with its directory entry, before any record is
// written to it: it is created under a temporary name, its header written
// and fsynced, renamed, and the directory fsynced; the segment it replaces
// is fsynced first, and sealed (its seal record written and fsynced)
// after. A disk may write back unsynced writes in any order, so a power
// loss can keep a later write and drop an earlier one; recovery keeps the
// writes before the first one dropped (see below). The recovered state is
// therefore always the state after some prefix of the records written,
// and never shorter than the last Sync.
//
// Open fsyncs the last segment before returning: after a process crash
// the page cache may still hold writes that never reached the disk, and the
// node is about to act on everything Open recovers.
//
// After a write or fsync fails, every call returns an error wrapping
// ErrFailed: the kernel may have dropped the dirty pages, so the caller
// must Close and Open the store again, which re-reads what is on disk.
//
// # Recovery rules
//
// Open replays the segments in order; the memory it keeps is one small
// location per entries record, not the entries themselves (Entries reads
// them back and checks their checksums again).
//
//   - The last segment may end in a torn tail: a record cut short, or one
//     whose checksum fails, with no valid record starting at any later byte
//     of the file. That is what a crash in the middle of a write leaves.
//     Open truncates the file to the end of the last good record, fsyncs
//     it, and reports the cut in Store.Recovery (RecoveryInfo.Torn).
//     A last segment shorter than a header whose bytes are a prefix of the
//     right header is also torn; its header is written again. A synced
//     record without the record written with it is torn too.
//   - The last segment may hold writes a power loss dropped while it kept
//     a later one: a bad record whose bytes are zeros up to the next valid
//     record, where no valid synced record after it says that the bytes
//     at the bad record had been synced. Open cuts the file at the bad
//     record (and the later, never synced, writes go with it) and reports
//     it like a torn tail. Damage to synced data is told apart: a bit flip
//     is not zeros, and once any later write survives, its synced record
//     says the damaged bytes were durable.
//   - A segment that is not the last but lacks its seal (or whose seal is
//     torn) while its successor is the last and holds no record is a
//     rollover a crash interrupted: if it matches its successor's link,
//     Open writes the seal and reports it (RecoveryInfo.Resealed).
//   - With the state file, a bad record or header in bytes it vouches for
//     (every sealed segment, and the active one up to its synced size) is
//     damage to data the node may have acknowledged: Open repairs it (see
//     Protocol-aware recovery). A bad record past those bytes is cut off
//     like a torn tail, whatever the bytes look like: no Sync that wrote
//     them returned, so nothing the node sent depended on them.
//   - Anything else fails Open with a *CorruptionError naming the file and
//     byte offset (errors.Is(err, ErrCorrupt)): a bad record followed by a
//     valid one anywhere after its first byte, a bad record in a segment
//     other than the last, a bad header, a missing segment file, a sealed
//     segment that does not match its successor's link (see Integrity), a
//     seal record in the last segment (its successor is missing), an
//     entries record that does not continue the log, a truncate past the
//     end of the log, an unknown record type.
//   - Files NNNNNNNNNNNNNNNN.seg.tmp are segments whose creation a crash
//     interrupted; Open deletes them. Other files are left alone.
//   - Segments may be missing from the front only as far as the dropped
//     records say (else a CorruptionError names the missing file), and
//     the log they leave must start no later than the compaction. The
//     snapshot file the log's latest snapshot record names must be there
//     and whole (a CorruptionError names it otherwise), and a snapshot
//     file with no segment at all is lost data. Segments up to the
//     dropped one, snapshot files no record names (written before a crash
//     kept their record from becoming durable) and half-written snapshot
//     files are leftovers of a crash: Open deletes them
//     (RecoveryInfo.Removed).
//
// The search for a valid record after a bad one (for a store without its
// state file) starts one byte after the bad record's start, not at its
// claimed end, because a damaged length field cannot be trusted. It errs
// towards failing loudly: a torn record whose data happens to contain a
// complete valid frame is reported as corruption. Without the state file,
// damage to the records of the last Sync with no later write surviving
// looks like a torn write or a dropped one, and is cut off (reported).
//
// # Protocol-aware recovery
//
// A store that refused to start on every damaged byte would leave a node
// out of its cluster for good, and one that cut its log at the damage
// would forget entries it acknowledged. Open does neither (after the
// ideas of CTRL, "Protocol-Aware Recovery for Consensus-Based Storage",
// FAST '18; the node's side is in raft's doc.go): on damage in bytes the
// state file vouches for, it reads every file again (a read that returned
// wrong bytes once must not cost the node its log: RecoveryInfo.Misread
// reports it), and if the damage is still there
//
//  1. keeps the log replayed before the damage (everything before it
//     is whole): its entries, snapshot and compaction. If those records
//     do not make a log on their own (the damage took the record saying
//     where a compacted log starts), it keeps no entry at all;
//  2. keeps the newest term and vote it knows of, the state file's: the
//     node never votes twice in a term, whatever the damage took;
//  3. lowers the commit index to the one last recorded before the damage
//     (entries the lost records overwrote may sit in the log kept, and
//     must not be applied), and sets HardState.Fence to the term and
//     HardState.FenceIndex to the log's last index at the last Sync (the
//     state file keeps it): the node votes for no one until it has
//     repaired its log from a leader, past that index or to a later term;
//  4. writes all of it into a new segment, numbered after the last,
//     whose header links to nothing (prevBytes and prevChain zero), with
//     a dropped record naming every older segment; makes it durable under
//     a temporary name, renames it, fsyncs the directory, then deletes
//     the older segments. A crash before the rename repairs again; after
//     it, Open finds a last segment that links to nothing and deletes the
//     segments before it first. The repair is reported in Store.Recovery
//     (RecoveryInfo.DamageFile).
//
// A damaged snapshot file is repaired the same way: the log after the
// snapshot means nothing without it, so none is kept. Files missing, cut
// short or swapped are not damage a disk does on its own, and still fail
// Open. Damage to both slots of the state file and to a segment is two
// faults: Open then refuses what it cannot place.
//
// # Usage
//
//	s, err := filestore.Open(dir, filestore.Options{})
//	if err != nil {
//		return err // A *CorruptionError names the file and offset.
//	}
//	defer s.Close()
//	if ri := s.Recovery(); ri.Torn() {
//		log.Print(ri)
//	}
//	// For each Ready: persist, then sync, then send.
//	if err := s.Append(rd.Entries); err != nil {
//		return err
//	}
//	if err := s.SetHardState(rd.HardState); err != nil {
//		return err
//	}
//	if err := s.Sync(); err != nil {
//		return err
//	}
//	send(rd.Messages)
package filestore
