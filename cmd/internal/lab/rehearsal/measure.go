package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/taskflow/taskflow-dr/cmd/internal/gameday"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/awsapi"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/labenv"
)

// regionIP is a region's stand-in address.
func regionIP(region string) netip.Addr {
	for _, r := range labenv.DefaultRegions {
		if r.Name == region {
			return r.IP
		}
	}
	return netip.Addr{}
}

// agentStatus is the part of the DR agent's /status the lab reads.
type agentStatus struct {
	Role         string   `json:"role"`
	NewestSeq    *int64   `json:"newestSeq"`
	DelaySeconds *float64 `json:"delaySeconds"`
}

// agent reads a region's agent, as the runbook does, through the lab
// cluster's API-server proxy.
func (r *rehearsal) agent(stack string) (agentStatus, error) {
	r.s.mu.Lock()
	a := r.s.agents[r.s.Region(stack)]
	r.s.mu.Unlock()
	var st agentStatus
	if a == nil {
		return st, fmt.Errorf("no agent in %s", stack)
	}
	resp, err := (&http.Client{Timeout: time.Second}).Get("http://" + a.addr + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// sampleDelay reads the stack's agent's delay n times, one agent interval
// apart: the continuous RPO measurement before the cut.
func (r *rehearsal) sampleDelay(ctx context.Context, stack string, n int) []time.Duration {
	var out []time.Duration
	for range n {
		if st, err := r.agent(stack); err == nil && st.DelaySeconds != nil {
			out = append(out, time.Duration(*st.DelaySeconds*float64(time.Second)))
		}
		select {
		case <-ctx.Done():
			return out
		case <-time.After(r.s.agentInterval()):
		}
	}
	return out
}

// measureFailover measures the failover from the cut: the game-day tool's
// analysis, the agents' RPO, when writes were accepted again and when full
// capacity was back, and the writes lost.
func (r *rehearsal) measureFailover(ctx context.Context, toolErr <-chan error, stopTool func()) {
	standby := r.standby()
	accepted := waitUntil(ctx, r.scaled(15*time.Minute), 100*time.Millisecond, func() bool {
		w, ok := firstAckAfter(r.load.snapshot(), standby, r.cut)
		if ok {
			r.writesAccepted = w.At.Sub(r.cut)
		}
		return ok
	})
	r.assert("writes through the app host are accepted again by the standby", accepted, "%s after the cut", r.writesAccepted.Round(time.Millisecond))
	r.agentRPO = r.measureAgentRPO(ctx)
	full, when := r.waitFullCapacity(ctx)
	r.fullCapacity = when
	r.assert("full capacity back (failover node count Ready, the promoted writer Multi-AZ)", full, "%s after the cut", when.Round(time.Millisecond))

	time.Sleep(r.scaled(30 * time.Second))
	stopTool()
	if err := <-toolErr; err != nil {
		r.assert("the game-day tool runs", false, "%v", err)
		return
	}
	res, err := r.analyze(ctx)
	if err != nil {
		r.assert("the game-day tool measures the failover", false, "%v", err)
		return
	}
	r.failover = res
	cfg := r.s.Configs["primary"]
	r.assert("RPO measured by the game-day tool, within the objective", res.RPO.Measured && res.RPO.Verdict == gameday.VerdictPass,
		"%s, %d lost heartbeat(s) (objective %s)", res.RPO.RPO.Round(time.Millisecond), len(res.RPO.Lost), cfg.Objectives.RPO.Duration)
	r.assert("RPO computed from the agents' evidence (CloudWatch in the standby region, the promoted database), within the objective",
		r.agentRPO.Measured && r.agentRPO.RPO <= cfg.Objectives.RPO.Duration,
		"%s%s (objective %s)", r.agentRPO.RPO.Round(time.Millisecond), parenthesized(r.agentRPO.Reason), cfg.Objectives.RPO.Duration)
	objective := r.scaled(cfg.Objectives.RTO.Duration)
	r.assert("writes accepted within the scaled RTO objective", r.writesAccepted > 0 && r.writesAccepted <= objective,
		"%s (objective %s, scaled 1/%d)", r.writesAccepted.Round(time.Millisecond), objective, r.o.Stage.Scale)
	r.lostFailover = r.lostOnFailover(ctx)
}

// analyze hands the drill to the game-day tool's analysis.
func (r *rehearsal) analyze(ctx context.Context) (gameday.Results, error) {
	tl, err := gameday.ReadTimelineFile(r.timeline)
	if err != nil {
		return gameday.Results{}, err
	}
	hbs, err := gameday.ReadJournal[gameday.HeartbeatRecord](r.heartbeats)
	if err != nil {
		return gameday.Results{}, err
	}
	probes, err := gameday.ReadJournal[gameday.ProbeRecord](r.probes)
	if err != nil {
		return gameday.Results{}, err
	}
	dsn, err := r.dsn(ctx, "standby")
	if err != nil {
		return gameday.Results{}, err
	}
	promoted, err := gameday.LoadPromotedHeartbeats(ctx, dsn, "writer", gameday.MinSeq(hbs), 5*time.Second)
	if err != nil {
		return gameday.Results{}, err
	}
	r.drill = gameday.Drill{
		Timeline: tl, Heartbeats: hbs, HeartbeatsRecorded: true, Probes: probes, ProbesRecorded: true,
		Regions: gameday.Regions{Primary: r.primary(), Standby: r.standby()},
	}
	cfg := r.s.Configs["primary"]
	return gameday.Analyze(r.drill, promoted, true, gameday.Objectives{RTO: cfg.Objectives.RTO.Duration, RPO: cfg.Objectives.RPO.Duration}), nil
}

// measureAgentRPO computes the RPO the way a drill on AWS does, with no
// path to the dead region: the old writer's acknowledged heartbeat from
// CloudWatch in the standby region, the newest of its heartbeats on the
// promoted database.
func (r *rehearsal) measureAgentRPO(ctx context.Context) gameday.RPOResult {
	cw := cloudwatch.New(cloudwatch.Options{
		Region:       r.standby(),
		BaseEndpoint: aws.String(r.s.Env.AWSURL),
		Credentials:  credentials.NewStaticCredentialsProvider(awsapi.LabAccessKeyID, awsapi.SecretAccessKey, ""),
	})
	primaryCluster, standbyCluster := "taskflow-dr-primary", "taskflow-dr-standby"
	promotedAt := r.eventTime("promoted")
	acked, err := gameday.ReadAckedHeartbeat(ctx, cw, r.standby(), primaryCluster, r.start, promotedAt, time.Now())
	if err != nil {
		return gameday.RPOResult{Reason: err.Error()}
	}
	dsn, err := r.dsn(ctx, "standby")
	if err != nil {
		return gameday.RPOResult{Reason: err.Error()}
	}
	promoted, err := gameday.LoadPromotedEvidence(ctx, dsn, primaryCluster, standbyCluster, 5*time.Second)
	if err != nil {
		return gameday.RPOResult{Reason: err.Error()}
	}
	return gameday.ComputeAgentRPO(gameday.AgentEvidence{OldWriter: primaryCluster, NewWriter: standbyCluster, Acked: acked, Promoted: promoted},
		r.s.Configs["primary"].Objectives.RPO.Duration)
}

// waitFullCapacity waits until the standby carries the full load: its
// node group at the failover size with that many nodes Ready (the
// runbook's `scaled` event), and its promoted database Multi-AZ and
// available (when config converts it). It returns the time from the cut.
func (r *rehearsal) waitFullCapacity(ctx context.Context) (bool, time.Duration) {
	cfg := r.s.Configs["standby"]
	var multiAZAt time.Time
	ok := waitUntil(ctx, r.scaled(90*time.Minute), 200*time.Millisecond, func() bool {
		if !cfg.Database.MultiAZ {
			return true
		}
		db, err := r.describeDB(ctx, "standby")
		if err == nil && db.MultiAZ != nil && *db.MultiAZ && deref(db.DBInstanceStatus) == "available" && db.ReadReplicaSourceDBInstanceIdentifier == nil {
			multiAZAt = time.Now()
			return true
		}
		return false
	})
	scaled := r.eventTime("scaled")
	if !ok || scaled.IsZero() {
		return false, 0
	}
	at := latest(r.cut.Add(r.writesAccepted), scaled, multiAZAt)
	return true, at.Sub(r.cut)
}

// describeDB is RDS's view of a stack's database.
func (r *rehearsal) describeDB(ctx context.Context, stack string) (cloud.DBInstance, error) {
	out, err := r.s.Outputs(ctx, stack)
	if err != nil {
		return cloud.DBInstance{}, err
	}
	op, _ := r.s.Env.Cloud.Lookup("rds", "DescribeDBInstances")
	res, err := r.s.Env.Cloud.Call(ctx, op, r.s.Region(stack), "lab", &cloud.DescribeDBInstancesInput{DBInstanceIdentifier: ptr(str(out, "dbInstanceId"))})
	if err != nil {
		return cloud.DBInstance{}, err
	}
	dbs := res.(*cloud.DescribeDBInstancesOutput).DBInstances
	if len(dbs) != 1 {
		return cloud.DBInstance{}, fmt.Errorf("describe %s: %d instances", str(out, "dbInstanceId"), len(dbs))
	}
	return dbs[0], nil
}

// eventTime is the first timeline event of that name at or after the cut.
func (r *rehearsal) eventTime(name string) time.Time {
	tl, err := gameday.ReadTimelineFile(r.timeline)
	if err != nil {
		return time.Time{}
	}
	for _, ev := range tl.Events {
		if ev.Name == name && !ev.At.Before(r.cut) {
			return ev.At
		}
	}
	return time.Time{}
}

// stepSpan is the time between the last from event and the first to event
// after it (zero when either is missing).
func (r *rehearsal) stepSpan(from, to string) time.Duration {
	tl, err := gameday.ReadTimelineFile(r.timeline)
	if err != nil {
		return 0
	}
	var start time.Time
	for _, ev := range tl.Events {
		switch {
		case ev.Name == from:
			start = ev.At
		case ev.Name == to && !start.IsZero():
			return ev.At.Sub(start)
		}
	}
	return 0
}

// lostOnFailover are the app writes the primary acknowledged that the
// promoted standby does not have: the asynchronous replication's loss.
func (r *rehearsal) lostOnFailover(ctx context.Context) []int64 {
	acked := acksBetween(r.load.snapshot(), r.primary(), r.start, r.cutDone)
	present, err := r.queryIDs(ctx, "standby")
	r.assert("the promoted standby can be read", err == nil, "%v", errOrOK(err))
	return missing(acked, present)
}

// lostOnSwitchover: every write acknowledged after the failover's
// promotion (on the standby, then on the primary) must be on the primary
// at the end.
func (r *rehearsal) lostOnSwitchover(ctx context.Context, writes []write) []int64 {
	promoted := r.eventTime("promoted")
	var acked []write
	for _, w := range writes {
		if w.acked() && w.At.After(promoted) {
			acked = append(acked, w)
		}
	}
	present, err := r.queryIDs(ctx, "primary")
	r.assert("the primary can be read after the switchover", err == nil, "%v", errOrOK(err))
	return missing(acked, present)
}

// queryIDs lists the app's write ids on a stack's database.
func (r *rehearsal) queryIDs(ctx context.Context, stack string) ([]int64, error) {
	out, err := r.s.Outputs(ctx, stack)
	if err != nil {
		return nil, err
	}
	db := r.s.Env.Cloud.Database(r.s.Region(stack), str(out, "dbInstanceId"))
	if db == nil {
		return nil, fmt.Errorf("no database %s", str(out, "dbInstanceId"))
	}
	return db.QueryInt64s(ctx, "SELECT id FROM lab_writes")
}

// checkFence brings the old primary back, diverged, and checks that the
// fence keeps DNS, requests and writes off it.
func (r *rehearsal) checkFence(ctx context.Context) {
	if err := r.s.Env.RestoreRegion(ctx, r.primary()); err != nil {
		r.assert("the old primary comes back", false, "%v", err)
		return
	}
	before, err := r.queryIDsOld(ctx)
	if err != nil {
		r.assert("the old primary's database can be read when it comes back", false, "%v", err)
		return
	}
	cfg := r.s.Configs["primary"]
	window := 3 * r.scaled(time.Duration(cfg.DNS.RequestInterval*cfg.DNS.FailureThreshold+cfg.DNS.TTL)*time.Second)
	primaryIP := regionIP(r.primary())
	resolver := dnssim.NewResolver(r.s.Env.DNSAddr)
	served := waitUntil(ctx, window, 100*time.Millisecond, func() bool {
		addrs, err := resolver.LookupNetIP(ctx, "ip4", cfg.AppHost)
		return err == nil && slices.Contains(addrs, primaryIP)
	})
	r.assert("fenced: DNS keeps answering the standby after the old primary is back", !served, "over %s", window)
	if app := r.s.Env.App(r.primary()); app != nil {
		c := app.Counts()
		r.assert("fenced: no request reaches the old primary", c.Writes == 0, "%d write requests reached it (health checks: %d)", c.Writes, c.Health)
	}
	after, err := r.queryIDsOld(ctx)
	r.assert("fenced: no write lands on the old primary (no split brain)", err == nil && len(after) == len(before),
		"lab_writes rows %d when it came back, %d after %s", len(before), len(after), window)
}

// queryIDsOld reads the old primary's database (before its rebuild).
func (r *rehearsal) queryIDsOld(ctx context.Context) ([]int64, error) {
	return r.queryIDs(ctx, "primary")
}

// checkPrimaryIsReplica: after the failback the primary's database is a
// replica of the standby again.
func (r *rehearsal) checkPrimaryIsReplica(ctx context.Context) {
	const check = "after the failback the primary's database replicates from the standby"
	db, err := r.describeDB(ctx, "primary")
	if err != nil {
		r.assert(check, false, "%v", err)
		return
	}
	out, err := r.s.Outputs(ctx, "standby")
	if err != nil {
		r.assert(check, false, "%v", err)
		return
	}
	source, want := "", str(out, "dbInstanceArn")
	if db.ReadReplicaSourceDBInstanceIdentifier != nil {
		source = *db.ReadReplicaSourceDBInstanceIdentifier
	}
	r.assert(check, source != "" && source == want, "source %q, want the standby's %q", source, want)
}

// firstAckAfter is the first write region acknowledged after t.
func firstAckAfter(writes []write, region string, t time.Time) (write, bool) {
	for _, w := range writes {
		if w.acked() && w.Region == region && w.At.After(t) {
			return w, true
		}
	}
	return write{}, false
}

func missing(acked []write, present []int64) []int64 {
	have := make(map[int64]bool, len(present))
	for _, id := range present {
		have[id] = true
	}
	var out []int64
	for _, w := range acked {
		if !have[w.ID] {
			out = append(out, w.ID)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// latest is the latest of some times.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// parenthesized is " (s)", or nothing for an empty s.
func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
