package gameday

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)

func at(seconds float64) time.Time { return t0.Add(time.Duration(seconds * float64(time.Second))) }

var testRegions = Regions{Primary: "eu-west-1", Standby: "eu-central-1"}

// scenario builds a synthetic drill: probes and heartbeats every second
// over [0, end) seconds, each classified by a function of the second.
type scenario struct {
	end      int
	probe    func(s int) (ok bool, region string)
	write    func(s int) []string // endpoints that acknowledged, in attempt order; nil = all failed
	timeline string
}

// failoverScenario: primary healthy until 60s, outage declared at 90s,
// writes resume on the replica at 240s, standby serves healthy from 300s.
func failoverScenario() scenario {
	return scenario{
		end: 400,
		probe: func(s int) (bool, string) {
			switch {
			case s < 60:
				return true, testRegions.Primary
			case s < 300:
				return false, ""
			default:
				return true, testRegions.Standby
			}
		},
		write: func(s int) []string {
			switch {
			case s < 60:
				return []string{"writer"}
			case s < 240:
				return nil
			default:
				return []string{"replica"}
			}
		},
		timeline: timelineText(
			"90", EventDeclared, "primary unreachable",
			"100", EventFenced, "ALB ingress revoked",
			"230", EventPromoted, "replica promoted",
			"320", EventAppVerified, "healthz ok",
		),
	}
}

// timelineText builds a TSV timeline from (seconds, event, detail) triples.
func timelineText(triples ...string) string {
	var b strings.Builder
	b.WriteString("# timeline written by runbooks/bin/dr\n")
	for i := 0; i+2 < len(triples); i += 3 {
		var sec float64
		fmt.Sscan(triples[i], &sec)
		fmt.Fprintf(&b, "%s\t%s\t%s\n", at(sec).Format("2006-01-02T15:04:05.000Z"), triples[i+1], triples[i+2])
	}
	return b.String()
}

func (sc scenario) drill(t *testing.T) Drill {
	t.Helper()
	tl, err := ParseTimeline(strings.NewReader(sc.timeline))
	require.NoError(t, err)
	d := Drill{Timeline: tl, Regions: testRegions, HeartbeatsRecorded: true, ProbesRecorded: true}
	seq := int64(100)
	for s := 0; s < sc.end; s++ {
		ok, region := sc.probe(s)
		p := ProbeRecord{At: at(float64(s)), OK: ok, Region: region, LatencyMS: 20}
		if ok {
			p.Status = 200
		} else {
			p.Error = "connection refused"
		}
		d.Probes = append(d.Probes, p)

		acked := sc.write(s)
		if acked == nil {
			for _, ep := range []string{"writer", "replica"} {
				d.Heartbeats = append(d.Heartbeats, HeartbeatRecord{Seq: seq, SentAt: at(float64(s)), Endpoint: ep, Error: "refused"})
				seq++
			}
			continue
		}
		for _, ep := range acked {
			d.Heartbeats = append(d.Heartbeats, HeartbeatRecord{
				Seq: seq, SentAt: at(float64(s)), Endpoint: ep, OK: true, AckedAt: at(float64(s) + 0.005),
			})
			seq++
		}
	}
	return d
}

// promotedRows returns the old writer's heartbeats that "replicated": all
// acknowledged writer rows except the last lost ones.
func promotedRows(d Drill, lost int) []StoredHeartbeat {
	var rows []StoredHeartbeat
	for _, hb := range ackedOn(d.Heartbeats, "writer") {
		rows = append(rows, StoredHeartbeat{Seq: hb.Seq, SentAt: hb.SentAt})
	}
	return rows[:len(rows)-lost]
}
