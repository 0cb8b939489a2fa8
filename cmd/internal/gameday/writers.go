package gameday

import (
	"sort"
	"time"
)

// WriterSwitch describes which endpoint accepted writes before and after the
// failover, as seen by the heartbeat journal.
type WriterSwitch struct {
	OldWriter   string // endpoint of the first acknowledged heartbeat
	NewWriter   string // first other endpoint that acknowledged one; "" if none
	FirstNewAck HeartbeatRecord
	Switched    bool
}

// DetectWriterSwitch reads the journal in sequence order. Heartbeats are
// expected to come from one drill; an appended journal from several drills
// should be split first.
func DetectWriterSwitch(heartbeats []HeartbeatRecord) WriterSwitch {
	var ws WriterSwitch
	for _, hb := range ackedBySeq(heartbeats) {
		switch {
		case ws.OldWriter == "":
			ws.OldWriter = hb.Endpoint
		case hb.Endpoint != ws.OldWriter:
			ws.NewWriter, ws.FirstNewAck, ws.Switched = hb.Endpoint, hb, true
			return ws
		}
	}
	return ws
}

// ackedBySeq returns the acknowledged heartbeats sorted by seq.
func ackedBySeq(heartbeats []HeartbeatRecord) []HeartbeatRecord {
	var acked []HeartbeatRecord
	for _, hb := range heartbeats {
		if hb.OK {
			acked = append(acked, hb)
		}
	}
	sort.Slice(acked, func(i, j int) bool { return acked[i].Seq < acked[j].Seq })
	return acked
}

// ackedOn returns the acknowledged heartbeats of one endpoint, by seq.
func ackedOn(heartbeats []HeartbeatRecord, endpoint string) []HeartbeatRecord {
	var out []HeartbeatRecord
	for _, hb := range ackedBySeq(heartbeats) {
		if hb.Endpoint == endpoint {
			out = append(out, hb)
		}
	}
	return out
}

// MinSeq is the lowest seq in the journal; rows below it on the promoted
// database belong to earlier drills and must not count.
func MinSeq(heartbeats []HeartbeatRecord) int64 {
	var minSeq int64
	for _, hb := range heartbeats {
		if hb.Seq > 0 && (minSeq == 0 || hb.Seq < minSeq) {
			minSeq = hb.Seq
		}
	}
	return minSeq
}

func sentTimes(heartbeats []HeartbeatRecord) []time.Time {
	times := make([]time.Time, 0, len(heartbeats))
	last := map[int64]bool{}
	for _, hb := range heartbeats {
		// One tick may try several endpoints; count the tick once.
		if hb.Seq == 0 || last[hb.Seq] {
			continue
		}
		last[hb.Seq] = true
		times = append(times, hb.SentAt)
	}
	return times
}
