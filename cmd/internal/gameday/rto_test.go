package gameday

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRTOFromDeclaredToLaterOfHealthyStandbyAndWrites(t *testing.T) {
	d := failoverScenario().drill(t)
	res := ComputeRTO(d, 15*time.Minute)

	require.True(t, res.Measured, res.Reason)
	assert.Equal(t, at(90), res.OutageStart.At, "declared event starts the clock")
	assert.Equal(t, at(300), res.DNSSwitch.At)
	assert.Equal(t, at(230), res.PromotionDone.At, "promoted event wins over first write")
	assert.Equal(t, at(240.005), res.WritesResumed.At)
	assert.Equal(t, at(300), res.StandbyHealthy.At)
	assert.Equal(t, at(300), res.Recovery.At, "recovery is the later of healthy standby and resumed writes")
	assert.Equal(t, 210*time.Second, res.RTO)
	assert.Equal(t, VerdictPass, res.Verdict)

	missed := ComputeRTO(d, 3*time.Minute)
	assert.Equal(t, VerdictFail, missed.Verdict)
}

func TestRTORecoveryWaitsForWrites(t *testing.T) {
	sc := failoverScenario()
	sc.write = func(s int) []string {
		if s < 60 {
			return []string{"writer"}
		}
		if s < 350 {
			return nil
		}
		return []string{"replica"}
	}
	res := ComputeRTO(sc.drill(t), 15*time.Minute)
	assert.Equal(t, at(350.005), res.Recovery.At)
	assert.Contains(t, res.Recovery.Source, "replica")
}

func TestRTOOutageStartFallsBackToFirstFailedProbe(t *testing.T) {
	sc := failoverScenario()
	sc.timeline = timelineText("230", EventPromoted, "")
	res := ComputeRTO(sc.drill(t), 15*time.Minute)
	assert.Equal(t, at(60), res.OutageStart.At)
	assert.Contains(t, res.OutageStart.Source, "first failed probe")
	assert.Equal(t, 240*time.Second, res.RTO)
}

func TestRTOPromotionFallsBackToFirstWriteOnNewWriter(t *testing.T) {
	sc := failoverScenario()
	sc.timeline = timelineText("90", EventDeclared, "")
	res := ComputeRTO(sc.drill(t), 15*time.Minute)
	assert.Equal(t, at(240.005), res.PromotionDone.At)
	assert.Contains(t, res.PromotionDone.Source, "no `promoted` event")
}

func TestRTONoOutageObserved(t *testing.T) {
	sc := failoverScenario()
	sc.timeline = ""
	sc.probe = func(int) (bool, string) { return true, testRegions.Primary }
	sc.write = func(int) []string { return []string{"writer"} }
	res := ComputeRTO(sc.drill(t), 15*time.Minute)
	assert.False(t, res.Measured)
	assert.False(t, res.OutageStart.Known)
	assert.Equal(t, VerdictNotMeasured, res.Verdict)
	assert.Contains(t, res.Reason, "no outage observed")
}

func TestRTOProbeNeverRecovers(t *testing.T) {
	sc := failoverScenario()
	sc.probe = func(s int) (bool, string) {
		if s < 60 {
			return true, testRegions.Primary
		}
		return false, ""
	}
	res := ComputeRTO(sc.drill(t), 15*time.Minute)
	assert.False(t, res.Measured)
	assert.False(t, res.Recovery.Known)
	assert.False(t, res.DNSSwitch.Known)
	assert.Equal(t, VerdictFail, res.Verdict, "an application that never recovered fails the objective")
	assert.Contains(t, res.Reason, "never answered a healthy probe")
}

func TestRTOWritesNeverResume(t *testing.T) {
	sc := failoverScenario()
	sc.write = func(s int) []string {
		if s < 60 {
			return []string{"writer"}
		}
		return nil
	}
	res := ComputeRTO(sc.drill(t), 15*time.Minute)
	assert.False(t, res.Measured)
	assert.False(t, res.WritesResumed.Known)
	assert.Equal(t, VerdictFail, res.Verdict)
	assert.Contains(t, res.Reason, "writes never resumed")
}

func TestRTOMissingJournals(t *testing.T) {
	d := failoverScenario().drill(t)
	d.Probes, d.ProbesRecorded = nil, false
	res := ComputeRTO(d, 15*time.Minute)
	assert.False(t, res.Measured)
	assert.Contains(t, res.Reason, "no probe journal")

	d = failoverScenario().drill(t)
	d.Heartbeats, d.HeartbeatsRecorded = nil, false
	res = ComputeRTO(d, 15*time.Minute)
	assert.Contains(t, res.Reason, "no heartbeat journal")
}

func TestRTODeclaredAfterRecoveryIsReportedNotNegative(t *testing.T) {
	sc := failoverScenario()
	sc.timeline = timelineText("390", EventDeclared, "declared late by mistake")
	res := ComputeRTO(sc.drill(t), 15*time.Minute)
	assert.False(t, res.Measured)
	assert.Equal(t, VerdictFail, res.Verdict)
	assert.Contains(t, res.Reason, "check the timeline clock")
}

func TestRTOIgnoresOutOfOrderTimelineAndProbes(t *testing.T) {
	sc := failoverScenario()
	sc.timeline = timelineText(
		"230", EventPromoted, "",
		"95", EventDeclared, "second declaration",
		"90", EventDeclared, "first declaration",
	)
	d := sc.drill(t)
	// Concurrent probes can be journalled out of order.
	d.Probes[300], d.Probes[350] = d.Probes[350], d.Probes[300]
	res := ComputeRTO(d, 15*time.Minute)
	assert.True(t, d.Timeline.Reordered)
	assert.Equal(t, at(90), res.OutageStart.At)
	assert.Equal(t, at(300), res.StandbyHealthy.At)
}
