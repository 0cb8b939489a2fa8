package gameday

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// Exit statuses of the gameday command.
const (
	ExitOK              = 0
	ExitError           = 1
	ExitUsage           = 2
	ExitObjectiveMissed = 3 // an objective was measured and missed, or recovery never happened
	ExitInconclusive    = 4 // nothing failed, but something could not be measured
)

// DSNs can come from the environment so passwords stay out of shell history
// and `ps` output.
const (
	envWriterDSN   = "GAMEDAY_WRITER_DSN"
	envReplicaDSN  = "GAMEDAY_REPLICA_DSN"
	envPromotedDSN = "GAMEDAY_PROMOTED_DSN"
)

const usage = `gameday measures a DR drill: RTO, RPO and a game-day record.

Usage:
  gameday heartbeat --writer DSN --replica DSN [--interval 1s] [--timeout 1s] [--out heartbeats.jsonl]
  gameday probe     --url URL (--region-header H | --region-field F) [--interval 1s] [--timeout 5s] [--out probes.jsonl]
  gameday run       (heartbeat and probe flags) [--duration D]   both loops until Ctrl-C/SIGTERM
  gameday report    --timeline dr-timeline.tsv --heartbeats heartbeats.jsonl --probes probes.jsonl
                    --promoted-dsn DSN --primary-region R --standby-region R --rto 15m --rpo 10s
                    --out runbooks/gameday/DATE-record.md [--chart DATE-record.png] [--environment NAME]
                    [--budget rto-budget.json] [--cut 2026-11-25T21:04:05.123Z]
  gameday report    (as above, the DR agents' evidence instead of --heartbeats:)
                    --old-writer-cluster C --new-writer-cluster C [--cloudwatch-region R] [--lookback 1h]

DSNs default to $GAMEDAY_WRITER_DSN, $GAMEDAY_REPLICA_DSN and $GAMEDAY_PROMOTED_DSN.
Exit status of report: 0 all objectives met, 3 an objective was missed, 4 inconclusive.
`

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, a...))
	}
	var (
		code int
		err  error
	)
	switch args[0] {
	case "heartbeat":
		code, err = runHeartbeatCommand(ctx, args[1:], stderr, logf)
	case "probe":
		code, err = runProbeCommand(ctx, args[1:], stderr, logf)
	case "run":
		code, err = runBothCommand(ctx, args[1:], stderr, logf)
	case "report":
		code, err = runReportCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(stderr, "gameday: unknown command %q\n\n%s", args[0], usage)
		return ExitUsage
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitUsage
		}
		fmt.Fprintf(stderr, "gameday %s: %v\n", args[0], err)
	}
	return code
}

type heartbeatFlags struct {
	writer, replica, out string
	interval, timeout    time.Duration
}

func (f *heartbeatFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.writer, "writer", os.Getenv(envWriterDSN), "DSN of the current writer (primary)")
	fs.StringVar(&f.replica, "replica", os.Getenv(envReplicaDSN), "DSN of the standby replica")
	fs.DurationVar(&f.interval, "interval", time.Second, "heartbeat interval (minimum 100ms)")
	fs.DurationVar(&f.timeout, "timeout", time.Second, "connect+insert timeout per attempt")
	fs.StringVar(&f.out, "out", "heartbeats.jsonl", "heartbeat journal (appended)")
}

type probeFlags struct {
	url, regionHeader, regionField, out string
	interval, timeout                   time.Duration
}

func (f *probeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "url", "", "health URL, e.g. https://app.example.com/healthz")
	fs.StringVar(&f.regionHeader, "region-header", "", "response header naming the answering region, e.g. X-Region")
	fs.StringVar(&f.regionField, "region-field", "", "top-level JSON body field naming the answering region")
	fs.DurationVar(&f.interval, "interval", time.Second, "probe interval")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "timeout per probe")
	fs.StringVar(&f.out, "out", "probes.jsonl", "probe journal (appended)")
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gameday "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func runHeartbeatCommand(ctx context.Context, args []string, stderr io.Writer, logf func(string, ...any)) (int, error) {
	var hf heartbeatFlags
	fs := newFlagSet("heartbeat", stderr)
	hf.register(fs)
	if err := fs.Parse(args); err != nil {
		return ExitUsage, err
	}
	return finish(runHeartbeatLoop(ctx, hf, logf))
}

func runProbeCommand(ctx context.Context, args []string, stderr io.Writer, logf func(string, ...any)) (int, error) {
	var pf probeFlags
	fs := newFlagSet("probe", stderr)
	pf.register(fs)
	if err := fs.Parse(args); err != nil {
		return ExitUsage, err
	}
	return finish(runProbeLoop(ctx, pf, logf))
}

// runBothCommand runs heartbeat and probe in one process, which is what a
// single pod in the standby cluster does during the drill.
func runBothCommand(ctx context.Context, args []string, stderr io.Writer, logf func(string, ...any)) (int, error) {
	var (
		hf       heartbeatFlags
		pf       probeFlags
		duration time.Duration
	)
	fs := newFlagSet("run", stderr)
	hf.register(fs)
	fs.StringVar(&pf.url, "url", "", "health URL")
	fs.StringVar(&pf.regionHeader, "region-header", "", "response header naming the answering region")
	fs.StringVar(&pf.regionField, "region-field", "", "JSON body field naming the answering region")
	fs.DurationVar(&pf.interval, "probe-interval", time.Second, "probe interval")
	fs.DurationVar(&pf.timeout, "probe-timeout", 5*time.Second, "timeout per probe")
	fs.StringVar(&pf.out, "probes-out", "probes.jsonl", "probe journal (appended)")
	fs.DurationVar(&duration, "duration", 0, "stop after this long (default: until SIGINT/SIGTERM)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage, err
	}
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	// If either loop fails the drill is compromised: stop the other one too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		errs = make([]error, 2)
	)
	for i, loop := range []func(context.Context) error{
		func(ctx context.Context) error { return runHeartbeatLoop(ctx, hf, logf) },
		func(ctx context.Context) error { return runProbeLoop(ctx, pf, logf) },
	} {
		wg.Go(func() {
			if errs[i] = loop(ctx); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	return finish(errors.Join(errs...))
}

func finish(err error) (int, error) {
	if err != nil {
		return ExitError, err
	}
	return ExitOK, nil
}

func runHeartbeatLoop(ctx context.Context, hf heartbeatFlags, logf func(string, ...any)) error {
	if hf.writer == "" || hf.replica == "" {
		return fmt.Errorf("--writer and --replica (or $%s and $%s) are required", envWriterDSN, envReplicaDSN)
	}
	f, err := OpenJournalFile(hf.out)
	if err != nil {
		return err
	}
	defer f.Close()
	logf("heartbeat: writer %s, replica %s, every %v, journal %s",
		heartbeat.RedactDSN(hf.writer), heartbeat.RedactDSN(hf.replica), hf.interval, hf.out)
	summary, err := RunHeartbeat(ctx, HeartbeatConfig{
		Endpoints: []Endpoint{{Name: "writer", DSN: hf.writer}, {Name: "replica", DSN: hf.replica}},
		Interval:  hf.interval,
		Timeout:   hf.timeout,
		Journal:   NewJournalWriter(f),
		Logf:      logf,
	})
	logf("heartbeat: stopped after %d attempts; acknowledged %v; failed %v", summary.Attempts, summary.Acked, summary.Failed)
	return err
}

func runProbeLoop(ctx context.Context, pf probeFlags, logf func(string, ...any)) error {
	f, err := OpenJournalFile(pf.out)
	if err != nil {
		return err
	}
	defer f.Close()
	logf("probe: %s every %v, journal %s", pf.url, pf.interval, pf.out)
	return RunProbe(ctx, ProbeConfig{
		URL: pf.url, Interval: pf.interval, Timeout: pf.timeout,
		RegionHeader: pf.regionHeader, RegionField: pf.regionField,
		Journal: NewJournalWriter(f), Logf: logf,
	})
}

type reportFlags struct {
	timeline, heartbeats, probes, promotedDSN string
	oldWriter, newWriter, cloudwatchRegion    string
	lookback                                  time.Duration
	primary, standby, environment, appURL     string
	out, chart, budget, cut                   string
	rto, rpo, timeout                         time.Duration
}

func runReportCommand(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var rf reportFlags
	fs := newFlagSet("report", stderr)
	fs.StringVar(&rf.timeline, "timeline", "", "runbook timeline file (TSV)")
	fs.StringVar(&rf.heartbeats, "heartbeats", "", "heartbeat journal (or the DR agents' evidence: --old-writer-cluster)")
	fs.StringVar(&rf.oldWriter, "old-writer-cluster", "", "cluster whose DR agent was the writer before the failover: read its acknowledged heartbeat from CloudWatch instead of a journal")
	fs.StringVar(&rf.newWriter, "new-writer-cluster", "", "cluster whose DR agent writes on the promoted database")
	fs.StringVar(&rf.cloudwatchRegion, "cloudwatch-region", "", "region whose CloudWatch holds the old writer's acknowledged heartbeat (default: --standby-region)")
	fs.DurationVar(&rf.lookback, "lookback", time.Hour, "how far before the first timeline event to look for acknowledged heartbeats")
	fs.StringVar(&rf.probes, "probes", "", "probe journal")
	fs.StringVar(&rf.promotedDSN, "promoted-dsn", os.Getenv(envPromotedDSN), "DSN of the promoted database, to count lost writes")
	fs.StringVar(&rf.primary, "primary-region", "", "region value of the primary, as the probe sees it")
	fs.StringVar(&rf.standby, "standby-region", "", "region value of the standby, as the probe sees it")
	fs.StringVar(&rf.environment, "environment", "", "environment name shown in the record (e.g. the Pulumi stack)")
	fs.StringVar(&rf.appURL, "app-url", "", "application URL shown in the record")
	fs.DurationVar(&rf.rto, "rto", 15*time.Minute, "recovery time objective")
	fs.DurationVar(&rf.rpo, "rpo", 10*time.Second, "recovery point objective")
	fs.DurationVar(&rf.timeout, "timeout", 10*time.Second, "timeout for querying the promoted database")
	fs.StringVar(&rf.out, "out", "", "record to write (markdown); default stdout")
	fs.StringVar(&rf.chart, "chart", "", "chart to write (PNG); default next to --out")
	fs.StringVar(&rf.budget, "budget", "", "the stack's RTO budget, `pulumi stack output rtoBudget --json`, drawn beside the measured phases")
	fs.StringVar(&rf.cut, "cut", "", "when the fault was injected (UTC ISO-8601); default: the first failure the tools saw")
	if err := fs.Parse(args); err != nil {
		return ExitUsage, err
	}
	if rf.primary == "" || rf.standby == "" {
		return ExitUsage, errors.New("--primary-region and --standby-region are required")
	}
	if (rf.oldWriter != "") != (rf.newWriter != "") || (rf.oldWriter != "" && (rf.heartbeats != "" || rf.promotedDSN == "")) {
		return ExitUsage, errAgentFlags
	}
	res, err := report(ctx, rf, stdout)
	if err != nil {
		return ExitError, err
	}
	fmt.Fprintf(stderr, "RTO %s (%s), RPO %s (%s)\n", rtoShort(res.RTO), res.RTO.Verdict, rpoShort(res.RPO), res.RPO.Verdict)
	return ExitCode(res), nil
}

// ExitCode maps results to the report's exit status.
func ExitCode(res Results) int {
	switch {
	case res.RTO.Verdict == VerdictFail || res.RPO.Verdict == VerdictFail:
		return ExitObjectiveMissed
	case res.Passed():
		return ExitOK
	default:
		return ExitInconclusive
	}
}

func report(ctx context.Context, rf reportFlags, stdout io.Writer) (Results, error) {
	d, err := loadDrill(rf)
	if err != nil {
		return Results{}, err
	}
	var promoted []StoredHeartbeat
	queried := false
	if rf.oldWriter != "" {
		if d.Agents, err = loadAgentEvidence(ctx, rf, d.Timeline); err != nil {
			return Results{}, err
		}
	} else if rf.promotedDSN != "" && len(d.Heartbeats) > 0 {
		oldWriter := DetectWriterSwitch(d.Heartbeats).OldWriter
		promoted, err = LoadPromotedHeartbeats(ctx, rf.promotedDSN, oldWriter, MinSeq(d.Heartbeats), rf.timeout)
		if err != nil {
			return Results{}, err
		}
		queried = true
	}
	res := Analyze(d, promoted, queried, Objectives{RTO: rf.rto, RPO: rf.rpo})

	chartPath := rf.chart
	if chartPath == "" && rf.out != "" {
		chartPath = strings.TrimSuffix(rf.out, filepath.Ext(rf.out)) + ".png"
	}
	info := RecordInfo{Environment: rf.environment, AppURL: rf.appURL, GeneratedAt: time.Now().UTC()}
	for _, p := range []string{rf.timeline, rf.heartbeats, rf.probes} {
		if p != "" {
			info.Inputs = append(info.Inputs, filepath.Base(p))
		}
	}
	if d.Agents != nil {
		info.Inputs = append(info.Inputs, d.Agents.Acked.Source, "promoted database "+heartbeat.AgentTable.String())
	}
	if chartPath != "" {
		opts, err := chartOptions(rf, info)
		if err != nil {
			return Results{}, err
		}
		in := NewChartInput(d, res, opts)
		if err := writeFile(chartPath, func(w io.Writer) error { return WriteChart(w, in) }); err != nil {
			return Results{}, err
		}
		info.ChartFile = relativeTo(rf.out, chartPath)
	}
	if rf.out == "" {
		return res, WriteRecord(stdout, info, d, res)
	}
	return res, writeFile(rf.out, func(w io.Writer) error { return WriteRecord(w, info, d, res) })
}

// chartOptions reads the budget and the cut given on the command line.
func chartOptions(rf reportFlags, info RecordInfo) (ChartOptions, error) {
	opts := ChartOptions{}
	if info.Environment != "" {
		opts.Title = "Regional failover drill, " + info.Environment
	}
	if rf.budget != "" {
		b, err := ReadBudgetFile(rf.budget)
		if err != nil {
			return ChartOptions{}, err
		}
		opts.Budget = &b
	}
	if rf.cut != "" {
		cut, err := parseTimelineTime(rf.cut)
		if err != nil {
			return ChartOptions{}, fmt.Errorf("--cut: %w", err)
		}
		opts.Cut, opts.CutSource = cut, "the fault, given with --cut"
	}
	return opts, nil
}

func loadDrill(rf reportFlags) (Drill, error) {
	d := Drill{Regions: Regions{Primary: rf.primary, Standby: rf.standby}}
	var err error
	if rf.timeline != "" {
		if d.Timeline, err = ReadTimelineFile(rf.timeline); err != nil {
			return Drill{}, err
		}
	}
	if rf.heartbeats != "" {
		if d.Heartbeats, err = ReadJournal[HeartbeatRecord](rf.heartbeats); err != nil {
			return Drill{}, err
		}
		d.HeartbeatsRecorded = true
	}
	if rf.probes != "" {
		if d.Probes, err = ReadJournal[ProbeRecord](rf.probes); err != nil {
			return Drill{}, err
		}
		d.ProbesRecorded = true
	}
	return d, nil
}

// relativeTo makes the chart link work from wherever the record is stored.
func relativeTo(recordPath, chartPath string) string {
	if recordPath == "" {
		return chartPath
	}
	rel, err := filepath.Rel(filepath.Dir(recordPath), chartPath)
	if err != nil {
		return chartPath
	}
	return filepath.ToSlash(rel)
}

func writeFile(path string, write func(io.Writer) error) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// loadAgentEvidence reads the DR agents' evidence: the old writer's newest
// acknowledged heartbeat from CloudWatch in the standby region, up to the
// timeline's promotion, and the heartbeats on the promoted database.
func loadAgentEvidence(ctx context.Context, rf reportFlags, tl Timeline) (*AgentEvidence, error) {
	region := rf.cloudwatchRegion
	if region == "" {
		region = rf.standby
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	now := time.Now().UTC()
	from := now.Add(-rf.lookback)
	if len(tl.Events) > 0 {
		from = tl.Events[0].At.Add(-rf.lookback)
	}
	var cutoff time.Time
	cutoffName := ""
	if ev, ok := tl.First(EventPromoted); ok {
		cutoff, cutoffName = ev.At, "the `promoted` event"
	}
	acked, err := ReadAckedHeartbeat(ctx, cloudwatch.NewFromConfig(awsCfg), region, rf.oldWriter, from, cutoff, now)
	if err != nil {
		return nil, err
	}
	acked.CutoffName = cutoffName
	promoted, err := LoadPromotedEvidence(ctx, rf.promotedDSN, rf.oldWriter, rf.newWriter, rf.timeout)
	if err != nil {
		return nil, err
	}
	return &AgentEvidence{OldWriter: rf.oldWriter, NewWriter: rf.newWriter, Acked: acked, Promoted: promoted}, nil
}
