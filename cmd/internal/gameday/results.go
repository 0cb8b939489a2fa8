package gameday

import "time"

// Verdict is the outcome for one objective. NotMeasured is deliberately
// distinct from Pass: a drill that could not measure something has not
// demonstrated it.
type Verdict string

const (
	VerdictPass        Verdict = "PASS"
	VerdictFail        Verdict = "FAIL"
	VerdictNotMeasured Verdict = "NOT MEASURED"
)

// Objectives are the recovery objectives the drill is judged against.
type Objectives struct {
	RTO time.Duration
	RPO time.Duration
}

// Regions names the region values the probe sees in the region header/field.
type Regions struct {
	Primary string
	Standby string
}

// Moment is a point of the drill that may not have been observed. Source
// says where it came from (a timeline line, the first failed probe, ...) or,
// when Known is false, why it is missing.
type Moment struct {
	At     time.Time
	Known  bool
	Source string
}

func observed(at time.Time, source string) Moment { return Moment{At: at, Known: true, Source: source} }
func unobserved(reason string) Moment             { return Moment{Source: reason} }

// RTOResult is the recovery-time half of the results.
type RTOResult struct {
	OutageStart    Moment
	DNSSwitch      Moment
	PromotionDone  Moment
	StandbyHealthy Moment // first healthy probe answered by the standby region
	WritesResumed  Moment // first write acknowledged by the new writer
	Recovery       Moment
	RTO            time.Duration
	Measured       bool
	Reason         string // why RTO is not measured, when it is not
	Verdict        Verdict
}

// Evidence names where the RPO's heartbeats came from.
type Evidence string

const (
	// EvidenceJournal: the game-day heartbeat's journal of acknowledgements.
	EvidenceJournal Evidence = "journal"
	// EvidenceAgents: the DR agents' acknowledged heartbeat in CloudWatch
	// (standby region) and their rows on the promoted database.
	EvidenceAgents Evidence = "agents"
)

// RPOResult is the data-loss half of the results.
type RPOResult struct {
	Measured  bool
	Reason    string
	Evidence  Evidence
	OldWriter string
	// NewestAcked is the newest heartbeat the old writer acknowledged.
	NewestAcked HeartbeatRecord
	// NewestPresent is the newest old-writer heartbeat found on the promoted
	// database; PresentFound is false when none of this run's rows arrived.
	NewestPresent StoredHeartbeat
	PresentFound  bool
	AckedCount    int
	Lost          []int64 // acknowledged seqs missing from the promoted database
	// LostAtMost: Lost is the range of seqs between the newest present and
	// the newest acknowledged; an attempt that failed took a seq too, so
	// some of them may never have been acknowledged (agent evidence).
	LostAtMost bool
	// Resolution is the old writer's p99 heartbeat gap (agent evidence).
	Resolution time.Duration
	RPO        time.Duration
	// LowerBound marks an RPO that is only a minimum: nothing written during
	// the run reached the promoted database, so the true loss started earlier.
	LowerBound bool
	Verdict    Verdict
}

// StoredHeartbeat is a dr_heartbeat row read back from a database.
type StoredHeartbeat struct {
	Seq    int64
	SentAt time.Time
}

// Resolution is the tool's own measurement precision for this drill,
// derived from the journals rather than assumed from the flags.
type Resolution struct {
	Heartbeat IntervalStats
	Probe     IntervalStats
}

// Results is everything the record reports.
type Results struct {
	Objectives   Objectives
	Regions      Regions
	RTO          RTOResult
	RPO          RPOResult
	Resolution   Resolution
	Observations []string
}

// Passed reports whether every objective was measured and met.
func (r Results) Passed() bool {
	return r.RTO.Verdict == VerdictPass && r.RPO.Verdict == VerdictPass
}
