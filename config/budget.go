package config

import (
	"fmt"
	"time"
)

// RTOBudget is the recovery time the configuration allows, term by term,
// and the two moments users care about: when writes are accepted again and
// when the standby carries the full load. Terms that do not depend on each
// other run in parallel, so each moment is a critical path, not a sum
// (runbooks/dr-design.md §3):
//
//	declared        = detection + declaration
//	writes accepted = max(detection + DNS TTL, declared + promotion + app recovery)
//	full capacity   = max(writes accepted, declared + scale-up, declared + promotion + Multi-AZ conversion)
//
// The failover starts the scale-up at declaration, beside fencing and
// promotion; DNS moves traffic on its own once detection is done. A
// Multi-AZ conversion of the promoted writer keeps it available
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html,
// "Modifying a DB instance to be a Multi-AZ DB instance deployment"), so it
// is on the full-capacity path, never on the writes path.
type RTOBudget struct {
	Detection         time.Duration
	DNSTTL            time.Duration
	Declaration       time.Duration
	Promotion         time.Duration
	AppRecovery       time.Duration
	ScaleUp           time.Duration
	MultiAZConversion time.Duration // 0 when the promoted writer stays single-AZ

	Declared       time.Duration
	WritesAccepted time.Duration
	FullCapacity   time.Duration

	Objective             time.Duration
	FullCapacityObjective time.Duration
}

// RTOBudget computes the budget from the config. Detection is request
// interval x failure threshold: Route 53 needs that many consecutive failed
// checks before the PRIMARY record stops being served.
func (c *Config) RTOBudget() RTOBudget {
	o := c.Objectives
	b := RTOBudget{
		Detection:             time.Duration(c.DNS.RequestInterval*c.DNS.FailureThreshold) * time.Second,
		DNSTTL:                time.Duration(c.DNS.TTL) * time.Second,
		Declaration:           o.DeclarationEstimate.Duration,
		Promotion:             o.PromotionEstimate.Duration,
		AppRecovery:           o.AppRecoveryEstimate.Duration,
		ScaleUp:               o.ScaleUpEstimate.Duration,
		Objective:             o.RTO.Duration,
		FullCapacityObjective: o.FullCapacity.Duration,
	}
	// The standby's writer is Multi-AZ when the failover's reconcile turns
	// it into a writer with database.multiAz (a replica stays single-AZ).
	if c.Database.MultiAZ && !c.Database.ReplicaMultiAZ {
		b.MultiAZConversion = o.MultiAZConversionEstimate.Duration
	}
	b.Declared = b.Detection + b.Declaration
	b.WritesAccepted = max(b.Detection+b.DNSTTL, b.Declared+b.Promotion+b.AppRecovery)
	b.FullCapacity = max(b.WritesAccepted, b.Declared+b.ScaleUp, b.Declared+b.Promotion+b.MultiAZConversion)
	return b
}

// ExplainWrites shows the writes-accepted critical path.
func (b RTOBudget) ExplainWrites() string {
	return fmt.Sprintf("max(detection %s + DNS TTL %s, detection %s + declaration %s + promotion %s + app recovery %s) = %s",
		b.Detection, b.DNSTTL, b.Detection, b.Declaration, b.Promotion, b.AppRecovery, b.WritesAccepted)
}

// ExplainCapacity shows the full-capacity critical path.
func (b RTOBudget) ExplainCapacity() string {
	return fmt.Sprintf("max(writes accepted %s, declared %s + scale-up %s, declared %s + promotion %s + Multi-AZ conversion %s) = %s",
		b.WritesAccepted, b.Declared, b.ScaleUp, b.Declared, b.Promotion, b.MultiAZConversion, b.FullCapacity)
}

// Seconds is the budget as the `rtoBudget` stack output: whole seconds, so
// the runbook and the lab can do arithmetic with jq. totalSeconds is the
// writes-accepted figure, the one the RTO objective applies to.
func (b RTOBudget) Seconds() map[string]int {
	s := func(d time.Duration) int { return int(d.Seconds()) }
	return map[string]int{
		"detectionSeconds":             s(b.Detection),
		"dnsTtlSeconds":                s(b.DNSTTL),
		"declarationSeconds":           s(b.Declaration),
		"promotionSeconds":             s(b.Promotion),
		"appRecoverySeconds":           s(b.AppRecovery),
		"scaleUpSeconds":               s(b.ScaleUp),
		"multiAzConversionSeconds":     s(b.MultiAZConversion),
		"writesAcceptedSeconds":        s(b.WritesAccepted),
		"fullCapacitySeconds":          s(b.FullCapacity),
		"objectiveSeconds":             s(b.Objective),
		"fullCapacityObjectiveSeconds": s(b.FullCapacityObjective),
		"totalSeconds":                 s(b.WritesAccepted),
	}
}
