package agent

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/taskflow/taskflow-dr/cmd/internal/drmetrics"
)

// Publishing limits: a PutMetricData call takes at most 1000 metrics
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html);
// the backlog kept while CloudWatch is unreachable is bounded, oldest
// dropped first, so an outage of CloudWatch never grows the agent.
const (
	maxPerPut      = 1000
	maxBacklog     = 20000
	putTimeout     = 10 * time.Second
	maxPublishWait = 30 * time.Second
)

// MetricPutter is what the agent needs of CloudWatch (*cloudwatch.Client
// has it).
type MetricPutter interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// publisher sends data points to one region's CloudWatch from a goroutine
// of its own: the heartbeat only appends to its backlog and never waits for
// CloudWatch. Failed calls are logged and retried with backoff, keeping the
// points (each carries its own timestamp, so late points land where they
// belong).
type publisher struct {
	region string
	cw     MetricPutter
	log    *slog.Logger

	mu      sync.Mutex
	backlog []types.MetricDatum
	dropped int
	sent    int
	failing bool
	lastErr string
	wake    chan struct{}
}

func newPublisher(region string, cw MetricPutter, log *slog.Logger) *publisher {
	return &publisher{region: region, cw: cw, log: log.With("cloudwatchRegion", region), wake: make(chan struct{}, 1)}
}

// add queues points; it never blocks.
func (p *publisher) add(points ...types.MetricDatum) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.backlog = append(p.backlog, points...)
	if over := len(p.backlog) - maxBacklog; over > 0 {
		p.backlog = slices.Delete(p.backlog, 0, over)
		p.dropped += over
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run sends the backlog until ctx ends, then makes one last short attempt.
func (p *publisher) run(ctx context.Context) {
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			flush, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			p.send(flush)
			cancel()
			return
		case <-p.wake:
		case <-time.After(wait):
		}
		if err := p.send(ctx); err != nil {
			wait = min(max(2*wait, time.Second), maxPublishWait)
			continue
		}
		wait = maxPublishWait // nothing pending: sleep until woken
	}
}

// send puts the backlog in batches; on a failure the unsent points stay
// queued (unless CloudWatch refused them as invalid, which no retry fixes).
func (p *publisher) send(ctx context.Context) error {
	for {
		p.mu.Lock()
		batch := slices.Clone(p.backlog[:min(len(p.backlog), maxPerPut)])
		p.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		cctx, cancel := context.WithTimeout(ctx, putTimeout)
		_, err := p.cw.PutMetricData(cctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(drmetrics.Namespace), MetricData: batch})
		cancel()
		if err != nil && !invalidRequest(err) {
			p.failed(err)
			return err
		}
		p.mu.Lock()
		p.backlog = slices.Delete(p.backlog, 0, len(batch))
		if err == nil {
			p.sent += len(batch)
		}
		p.mu.Unlock()
		if err != nil {
			p.log.Error("CloudWatch refused data points; dropping them", "points", len(batch), "error", err)
			continue
		}
		p.recovered()
	}
}

// failed logs the first failure of a run of failures, not every retry.
func (p *publisher) failed(err error) {
	p.mu.Lock()
	first := !p.failing
	p.failing, p.lastErr = true, err.Error()
	pending := len(p.backlog)
	p.mu.Unlock()
	if first {
		p.log.Warn("publishing to CloudWatch failed; retrying with backoff, the heartbeat goes on", "pending", pending, "error", err)
	}
}

func (p *publisher) recovered() {
	p.mu.Lock()
	was := p.failing
	p.failing, p.lastErr = false, ""
	dropped := p.dropped
	p.mu.Unlock()
	if was {
		p.log.Info("publishing to CloudWatch recovered", "droppedWhileFailing", dropped)
	}
}

// state is the publisher's health for /status and /metrics.
func (p *publisher) state() (sent, pending, dropped int, lastErr string) {
	if p == nil {
		return 0, 0, 0, ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent, len(p.backlog), p.dropped, p.lastErr
}

// invalidRequest is CloudWatch refusing the data itself, as opposed to
// throttling, credentials or an outage, which a later retry may get past.
func invalidRequest(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "InvalidParameterValue", "MissingParameter", "InvalidParameterCombination",
		"InvalidParameterValueException", "MissingRequiredParameterException", "InvalidParameterCombinationException":
		return true
	}
	return false
}

// datum builds one data point of the agent's, dimensioned by cluster.
func datum(metric, cluster string, value float64, unit types.StandardUnit, resolution int32, at time.Time) types.MetricDatum {
	return types.MetricDatum{
		MetricName:        aws.String(metric),
		Dimensions:        []types.Dimension{{Name: aws.String(drmetrics.DimensionCluster), Value: aws.String(cluster)}},
		Value:             aws.Float64(value),
		Unit:              unit,
		StorageResolution: aws.Int32(resolution),
		Timestamp:         aws.Time(at),
	}
}

// epochSeconds is t as Unix seconds with milliseconds, AckedHeartbeatTime's
// value (a double holds it exactly enough: 2^53 ms is 285,000 years).
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1e3
}
