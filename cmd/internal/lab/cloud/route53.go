package cloud

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
)

// route53State is the account's Route 53: global, its control plane in
// us-east-1.
type route53State struct {
	checks  map[string]*healthCheck // by id
	zones   map[string]*hostedZone  // by bare id (Z…)
	changes map[string]*ChangeInfo  // by bare id (C…)
	tags    map[string][]Tag        // by "type/id"
	events  []Route53Event
}

func newRoute53State() *route53State {
	return &route53State{checks: map[string]*healthCheck{}, zones: map[string]*hostedZone{}, changes: map[string]*ChangeInfo{}, tags: map[string][]Tag{}}
}

// Route53Event is a health or DNS change the lab records for its report.
type Route53Event struct {
	At     time.Time
	Kind   string // health-check, record-set
	Detail string
}

type healthCheck struct {
	id, ref string
	cfg     HealthCheckConfig
	version int
	// Endpoint checks: Route 53's counting. healthy is the status as
	// Route 53 reports it; streak counts consecutive results against it.
	healthy    bool
	streak     int
	lastReport string
	lastIP     string
	checkedAt  time.Time
	nextCheck  time.Time
	inFlight   bool
	// Metric checks: the status last read from the alarm's data.
	metricHealthy bool
	metricReport  string
}

type hostedZone struct {
	id, name, ref string
	cfg           HostedZoneConfig
	sets          []*recordSet
	nameServers   []string
}

type recordSet struct {
	rrs ResourceRecordSet
	// live is false until the change that made it is INSYNC: Route 53's
	// name servers answer with it only then.
	live    bool
	deleted bool // deleted, still answering until its change is INSYNC
}

func (c *Cloud) registerRoute53() {
	register(c, "route53", "CreateHealthCheck", true, c.r53CreateHealthCheck)
	register(c, "route53", "GetHealthCheck", true, c.r53GetHealthCheck)
	register(c, "route53", "UpdateHealthCheck", true, c.r53UpdateHealthCheck)
	register(c, "route53", "DeleteHealthCheck", true, c.r53DeleteHealthCheck)
	register(c, "route53", "GetHealthCheckStatus", true, c.r53GetHealthCheckStatus)
	register(c, "route53", "ListHealthChecks", true, c.r53ListHealthChecks)
	register(c, "route53", "CreateHostedZone", true, c.r53CreateHostedZone)
	register(c, "route53", "GetHostedZone", true, c.r53GetHostedZone)
	register(c, "route53", "ListHostedZones", true, c.r53ListHostedZones)
	register(c, "route53", "ListHostedZonesByName", true, c.r53ListHostedZonesByName)
	register(c, "route53", "ChangeResourceRecordSets", true, c.r53ChangeResourceRecordSets)
	register(c, "route53", "ListResourceRecordSets", true, c.r53ListResourceRecordSets)
	register(c, "route53", "GetChange", true, c.r53GetChange)
	register(c, "route53", "ListTagsForResource", true, c.r53ListTags)
	register(c, "route53", "ChangeTagsForResource", true, c.r53ChangeTags)
}

// defaultCheckerRegions are the regions Route 53 checks from when a health
// check names none
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html, Regions).
var defaultCheckerRegions = []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}

var endpointCheckTypes = map[string]bool{"HTTP": true, "HTTPS": true, "HTTP_STR_MATCH": true, "HTTPS_STR_MATCH": true, "TCP": true}

func invalidInput(format string, args ...any) *Error { return errorf("InvalidInput", format, args...) }

func noSuchHealthCheck(id string) *Error {
	return notFound("NoSuchHealthCheck", "A health check with id %s does not exist.", id)
}

// bareID strips the /hostedzone/ or /change/ prefix the API returns.
func bareID(id string) string { return id[strings.LastIndex(id, "/")+1:] }

// validateCheckLocked applies HealthCheckConfig's rules
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html);
// it fills the documented defaults in cfg. c.mu held.
func (c *Cloud) validateCheckLocked(cfg *HealthCheckConfig, selfID string) *Error {
	typ := *cfg.Type
	switch {
	case endpointCheckTypes[typ]:
		if cfg.IPAddress == nil && cfg.FullyQualifiedDomainName == nil {
			return invalidInput("Invalid parameter : Either IPAddress or FullyQualifiedDomainName must be specified for %s health checks.", typ)
		}
		if cfg.ChildHealthChecks != nil || cfg.HealthThreshold != nil || cfg.AlarmIdentifier != nil {
			return invalidInput("Invalid parameter : ChildHealthChecks, HealthThreshold and AlarmIdentifier are not allowed for %s health checks.", typ)
		}
		// RequestInterval 10 or 30, default 30; FailureThreshold 1-10,
		// default 3; Port default 80 (HTTP, TCP) or 443 (HTTPS).
		if cfg.RequestInterval == nil {
			cfg.RequestInterval = ptr(30)
		} else if r := *cfg.RequestInterval; r != 10 && r != 30 {
			return invalidInput("Invalid parameter : RequestInterval must be 10 or 30.")
		}
		if cfg.FailureThreshold == nil {
			cfg.FailureThreshold = ptr(3)
		} else if f := *cfg.FailureThreshold; f < 1 || f > 10 {
			return invalidInput("Invalid parameter : FailureThreshold must be between 1 and 10.")
		}
		if cfg.Port == nil {
			port := 80
			if strings.HasPrefix(typ, "HTTPS") {
				port = 443
			}
			cfg.Port = ptr(port)
		}
		if strings.HasSuffix(typ, "STR_MATCH") && deref(cfg.SearchString) == "" {
			return invalidInput("Invalid parameter : SearchString is required for %s health checks.", typ)
		}
		// At least three checker regions when any are named.
		if cfg.Regions != nil && len(cfg.Regions) < 3 {
			return invalidInput("Invalid parameter : Regions must contain at least 3 regions.")
		}
		if cfg.Regions == nil {
			cfg.Regions = slices.Clone(defaultCheckerRegions)
		}
		cfg.MeasureLatency = ptr(deref(cfg.MeasureLatency))
		if strings.HasPrefix(typ, "HTTPS") {
			cfg.EnableSNI = ptr(cfg.EnableSNI == nil || *cfg.EnableSNI)
		}
	case typ == "CALCULATED":
		if cfg.RequestInterval != nil || cfg.FailureThreshold != nil || cfg.IPAddress != nil || cfg.FullyQualifiedDomainName != nil {
			return invalidInput("Invalid parameter : RequestInterval, FailureThreshold, IPAddress and FullyQualifiedDomainName are not allowed for CALCULATED health checks.")
		}
		// Up to 256 children, HealthThreshold 0-256.
		if len(cfg.ChildHealthChecks) > 256 {
			return invalidInput("Invalid parameter : ChildHealthChecks can contain at most 256 health checks.")
		}
		if cfg.HealthThreshold == nil {
			cfg.HealthThreshold = ptr(0)
		} else if h := *cfg.HealthThreshold; h < 0 || h > 256 {
			return invalidInput("Invalid parameter : HealthThreshold must be between 0 and 256.")
		}
		for _, child := range cfg.ChildHealthChecks {
			if child == selfID {
				return invalidInput("Invalid parameter : A calculated health check cannot be its own child.")
			}
			if _, ok := c.route53.checks[child]; !ok {
				return invalidInput("Invalid parameter : The child health check %s does not exist.", child)
			}
		}
		if cfg.ChildHealthChecks == nil {
			cfg.ChildHealthChecks = []string{}
		}
	case typ == "CLOUDWATCH_METRIC":
		if cfg.AlarmIdentifier == nil {
			return invalidInput("Invalid parameter : AlarmIdentifier is required for CLOUDWATCH_METRIC health checks.")
		}
		ai := cfg.AlarmIdentifier
		a, ok := c.alarmStateLocked(*ai.Region, *ai.Name)
		if !ok {
			return invalidInput("Invalid parameter : The CloudWatch alarm %s does not exist in region %s.", *ai.Name, *ai.Region)
		}
		// "Route 53 supports CloudWatch alarms with … standard-resolution
		// metrics. High-resolution metrics aren't supported … Extended
		// statistics aren't supported"
		// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html).
		if deref(a.cfg.Period) < 60 {
			return invalidInput("Invalid parameter : Route 53 does not support alarms on high-resolution metrics (alarm %s has a %d s period).", *ai.Name, deref(a.cfg.Period))
		}
		switch s := deref(cfg.InsufficientDataHealthStatus); s {
		case "":
			cfg.InsufficientDataHealthStatus = ptr("LastKnownStatus")
		case "Healthy", "Unhealthy", "LastKnownStatus":
		default:
			return invalidInput("Invalid parameter : InsufficientDataHealthStatus %s is not one of Healthy, Unhealthy, LastKnownStatus.", s)
		}
	default:
		return invalidInput("Invalid parameter : the lab does not run %s health checks.", typ)
	}
	cfg.Inverted = ptr(deref(cfg.Inverted))
	cfg.Disabled = ptr(deref(cfg.Disabled))
	return nil
}

func (c *Cloud) r53CreateHealthCheck(_ context.Context, _ string, in *CreateHealthCheckInput) (*HealthCheckOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := *in.HealthCheckConfig
	// CallerReference makes creation idempotent: the same reference with
	// the same config returns the existing check, with another config
	// HealthCheckAlreadyExists
	// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHealthCheck.html).
	for _, hc := range c.route53.checks {
		if hc.ref == *in.CallerReference {
			probe := cfg
			if err := c.validateCheckLocked(&probe, hc.id); err == nil && reflect.DeepEqual(probe, hc.cfg) {
				return &HealthCheckOutput{HealthCheck: c.describeCheckLocked(hc)}, nil
			}
			return nil, conflict("HealthCheckAlreadyExists", "A health check with caller reference %s already exists with a different configuration.", *in.CallerReference)
		}
	}
	id := newUUID()
	if err := c.validateCheckLocked(&cfg, id); err != nil {
		return nil, err
	}
	hc := &healthCheck{id: id, ref: *in.CallerReference, cfg: cfg, version: 1, healthy: true, metricHealthy: true, nextCheck: time.Now()}
	c.route53.checks[id] = hc
	c.r53EventLocked("health-check", "created %s %s", *cfg.Type, id)
	return &HealthCheckOutput{HealthCheck: c.describeCheckLocked(hc)}, nil
}

func (c *Cloud) describeCheckLocked(hc *healthCheck) *HealthCheck {
	cfg := hc.cfg
	cfg.ChildHealthChecks = slices.Clone(hc.cfg.ChildHealthChecks)
	cfg.Regions = slices.Clone(hc.cfg.Regions)
	out := &HealthCheck{Id: ptr(hc.id), CallerReference: ptr(hc.ref), HealthCheckConfig: &cfg, HealthCheckVersion: ptr(hc.version)}
	if ai := hc.cfg.AlarmIdentifier; ai != nil {
		if a, ok := c.alarmStateLocked(*ai.Region, *ai.Name); ok {
			out.CloudWatchAlarmConfiguration = &CloudWatchAlarmConfiguration{
				EvaluationPeriods: a.cfg.EvaluationPeriods, Threshold: a.cfg.Threshold, ComparisonOperator: a.cfg.ComparisonOperator,
				Period: a.cfg.Period, MetricName: a.cfg.MetricName, Namespace: a.cfg.Namespace, Statistic: a.cfg.Statistic,
				Dimensions: slices.Clone(a.cfg.Dimensions),
			}
		}
	}
	return out
}

func (c *Cloud) r53GetHealthCheck(_ context.Context, _ string, in *HealthCheckIDInput) (*HealthCheckOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hc, ok := c.route53.checks[*in.HealthCheckId]
	if !ok {
		return nil, noSuchHealthCheck(*in.HealthCheckId)
	}
	return &HealthCheckOutput{HealthCheck: c.describeCheckLocked(hc)}, nil
}

func (c *Cloud) r53UpdateHealthCheck(_ context.Context, _ string, in *UpdateHealthCheckInput) (*HealthCheckOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hc, ok := c.route53.checks[*in.HealthCheckId]
	if !ok {
		return nil, noSuchHealthCheck(*in.HealthCheckId)
	}
	// HealthCheckVersion guards against concurrent updates
	// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html).
	if in.HealthCheckVersion != nil && *in.HealthCheckVersion != hc.version {
		return nil, conflict("HealthCheckVersionMismatch", "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check.")
	}
	cfg := hc.cfg
	cfg.ChildHealthChecks = slices.Clone(hc.cfg.ChildHealthChecks)
	setS := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	setI := func(dst **int, v *int) {
		if v != nil {
			*dst = v
		}
	}
	setB := func(dst **bool, v *bool) {
		if v != nil {
			*dst = v
		}
	}
	setS(&cfg.IPAddress, in.IPAddress)
	setI(&cfg.Port, in.Port)
	setS(&cfg.ResourcePath, in.ResourcePath)
	setS(&cfg.FullyQualifiedDomainName, in.FullyQualifiedDomainName)
	setS(&cfg.SearchString, in.SearchString)
	setI(&cfg.FailureThreshold, in.FailureThreshold)
	setB(&cfg.Inverted, in.Inverted)
	setB(&cfg.Disabled, in.Disabled)
	setI(&cfg.HealthThreshold, in.HealthThreshold)
	setB(&cfg.EnableSNI, in.EnableSNI)
	setS(&cfg.InsufficientDataHealthStatus, in.InsufficientDataHealthStatus)
	if in.ChildHealthChecks != nil {
		cfg.ChildHealthChecks = in.ChildHealthChecks
	}
	if in.Regions != nil {
		cfg.Regions = in.Regions
	}
	if in.AlarmIdentifier != nil {
		cfg.AlarmIdentifier = in.AlarmIdentifier
	}
	for _, el := range in.ResetElements {
		switch el {
		case "FullyQualifiedDomainName":
			cfg.FullyQualifiedDomainName = nil
		case "Regions":
			cfg.Regions = nil
		case "ResourcePath":
			cfg.ResourcePath = nil
		case "ChildHealthChecks":
			cfg.ChildHealthChecks = nil
		default:
			return nil, invalidInput("Invalid parameter : %s is not a resettable element.", el)
		}
	}
	if endpointCheckTypes[*cfg.Type] {
		// Defaults were filled at creation; revalidate the ranges.
		keepInterval := cfg.RequestInterval
		cfg.RequestInterval = nil
		if err := c.validateCheckLocked(&cfg, hc.id); err != nil {
			return nil, err
		}
		cfg.RequestInterval = keepInterval
	} else if err := c.validateCheckLocked(&cfg, hc.id); err != nil {
		return nil, err
	}
	hc.cfg = cfg
	hc.version++
	c.r53EventLocked("health-check", "updated %s %s (version %d, threshold %d)", *cfg.Type, hc.id, hc.version, deref(cfg.HealthThreshold))
	return &HealthCheckOutput{HealthCheck: c.describeCheckLocked(hc)}, nil
}

func (c *Cloud) r53DeleteHealthCheck(_ context.Context, _ string, in *HealthCheckIDInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := *in.HealthCheckId
	if _, ok := c.route53.checks[id]; !ok {
		return nil, noSuchHealthCheck(id)
	}
	// A check still used by a record or a calculated parent is
	// HealthCheckInUse
	// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteHealthCheck.html).
	for _, hc := range c.route53.checks {
		if slices.Contains(hc.cfg.ChildHealthChecks, id) {
			return nil, conflict("HealthCheckInUse", "The health check %s is still referenced from parent health check %s.", id, hc.id)
		}
	}
	for _, z := range c.route53.zones {
		for _, rs := range z.sets {
			if !rs.deleted && deref(rs.rrs.HealthCheckId) == id {
				return nil, conflict("HealthCheckInUse", "The health check %s is still referenced from record %s.", id, *rs.rrs.Name)
			}
		}
	}
	delete(c.route53.checks, id)
	delete(c.route53.tags, "healthcheck/"+id)
	c.r53EventLocked("health-check", "deleted %s", id)
	return &Empty{}, nil
}

func (c *Cloud) r53GetHealthCheckStatus(_ context.Context, _ string, in *HealthCheckIDInput) (*GetHealthCheckStatusOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hc, ok := c.route53.checks[*in.HealthCheckId]
	if !ok {
		return nil, noSuchHealthCheck(*in.HealthCheckId)
	}
	out := &GetHealthCheckStatusOutput{HealthCheckObservations: []HealthCheckObservation{}}
	// Each checker region reports what it last saw; the lab's one checker
	// speaks for all of them
	// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html).
	if endpointCheckTypes[*hc.cfg.Type] {
		if hc.checkedAt.IsZero() {
			return out, nil
		}
		for _, r := range hc.cfg.Regions {
			out.HealthCheckObservations = append(out.HealthCheckObservations, HealthCheckObservation{
				Region: ptr(r), IPAddress: ptr(checkerIP(r)),
				StatusReport: &StatusReport{Status: ptr(hc.lastReport), CheckedTime: At(hc.checkedAt)},
			})
		}
		return out, nil
	}
	report := "Success: the health check is healthy"
	if !c.checkHealthyLocked(hc, 0) {
		report = "Failure: the health check is unhealthy"
	}
	if *hc.cfg.Type == "CLOUDWATCH_METRIC" && hc.metricReport != "" {
		report = hc.metricReport
	}
	out.HealthCheckObservations = append(out.HealthCheckObservations, HealthCheckObservation{
		Region: ptr("us-east-1"), IPAddress: ptr(checkerIP("us-east-1")),
		StatusReport: &StatusReport{Status: ptr(report), CheckedTime: At(time.Now())},
	})
	return out, nil
}

// checkerIP is a stable stand-in for a Route 53 checker's address.
func checkerIP(region string) string {
	n := 0
	for _, ch := range region {
		n = (n*31 + int(ch)) % 250
	}
	return fmt.Sprintf("15.177.%d.%d", n, 1+len(region))
}

func (c *Cloud) r53ListHealthChecks(_ context.Context, _ string, in *ListHealthChecksInput) (*ListHealthChecksOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for id := range c.route53.checks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := &ListHealthChecksOutput{HealthChecks: []HealthCheck{}, IsTruncated: ptr(false), MaxItems: orDefault(in.MaxItems, "100"), Marker: in.Marker}
	for _, id := range ids {
		out.HealthChecks = append(out.HealthChecks, *c.describeCheckLocked(c.route53.checks[id]))
	}
	return out, nil
}

// checkHealthyLocked is a check's status as Route 53 reports it: endpoint
// checks from their counting, metric checks from the alarm's data,
// calculated checks from their children
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html,
// HealthThreshold: "If you specify a number greater than the number of
// child health checks, Route 53 always considers this health check to be
// unhealthy. If you specify 0, Route 53 always considers this health check
// to be healthy."). Disabled checks are healthy; Inverted inverts. depth
// guards against cycles.
func (c *Cloud) checkHealthyLocked(hc *healthCheck, depth int) bool {
	if depth > 8 {
		return false
	}
	var healthy bool
	switch {
	case deref(hc.cfg.Disabled):
		healthy = true
	case *hc.cfg.Type == "CALCULATED":
		n := 0
		for _, id := range hc.cfg.ChildHealthChecks {
			if child, ok := c.route53.checks[id]; ok && c.checkHealthyLocked(child, depth+1) {
				n++
			}
		}
		healthy = n >= deref(hc.cfg.HealthThreshold)
	case *hc.cfg.Type == "CLOUDWATCH_METRIC":
		healthy = hc.metricHealthy
	default:
		healthy = hc.healthy
	}
	if deref(hc.cfg.Inverted) {
		return !healthy
	}
	return healthy
}

// HealthCheckHealthy returns a health check's status, for the lab's checks.
func (c *Cloud) HealthCheckHealthy(id string) (healthy, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hc, ok := c.route53.checks[id]
	if !ok {
		return false, false
	}
	return c.checkHealthyLocked(hc, 0), true
}

// metricCheckInterval is how often the lab reads a metric check's alarm:
// the faster of Route 53's endpoint intervals (assumption: AWS does not
// publish the cadence of CLOUDWATCH_METRIC checks).
const metricCheckInterval = 10 * time.Second

// startHealthCheckers runs the endpoint checks at their scaled request
// intervals and the metric checks from their alarms.
func (c *Cloud) startHealthCheckers() {
	c.background(func(ctx context.Context) {
		t := time.NewTicker(evalTick)
		defer t.Stop()
		nextMetric := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				c.runDueChecks(ctx, now)
				if !now.Before(nextMetric) {
					c.readMetricChecks()
					nextMetric = now.Add(c.scaled(metricCheckInterval))
				}
			}
		}
	})
}

func (c *Cloud) runDueChecks(ctx context.Context, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hc := range c.route53.checks {
		if !endpointCheckTypes[*hc.cfg.Type] || deref(hc.cfg.Disabled) || hc.inFlight || now.Before(hc.nextCheck) {
			continue
		}
		interval := c.scaled(time.Duration(*hc.cfg.RequestInterval) * time.Second)
		hc.nextCheck = now.Add(interval)
		hc.inFlight = true
		cfg := hc.cfg
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			ip, report, ok := c.probe(ctx, cfg, interval)
			c.observe(hc, ip, report, ok)
		}()
	}
}

// probe makes one check: Route 53 opens a new connection each time, must
// connect within four seconds and get a 2xx or 3xx within two seconds
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html);
// the lab keeps the two seconds, capped by the scaled interval. The lab's
// endpoints speak plain HTTP: an HTTPS check probes them without TLS.
func (c *Cloud) probe(ctx context.Context, cfg HealthCheckConfig, interval time.Duration) (string, string, bool) {
	var target netip.AddrPort
	host := deref(cfg.FullyQualifiedDomainName)
	switch {
	case cfg.IPAddress != nil:
		ip, err := netip.ParseAddr(*cfg.IPAddress)
		if err != nil {
			return "", "Failure: Invalid IP address.", false
		}
		target = netip.AddrPortFrom(ip, uint16(*cfg.Port))
	default:
		ap, ok := netip.AddrPort{}, false
		if c.opts.ResolveTarget != nil {
			ap, ok = c.opts.ResolveTarget(strings.TrimSuffix(host, "."))
		}
		if !ok {
			return "", fmt.Sprintf("Failure: DNS resolution failed: the domain name %s could not be resolved.", host), false
		}
		target = ap
	}
	timeout := min(interval, 2*time.Second)
	ip := target.Addr().String()
	if *cfg.Type == "TCP" {
		conn, err := net.DialTimeout("tcp", target.String(), timeout)
		if err != nil {
			return ip, "Failure: Connection refused. The endpoint or the internet connection is down, or the endpoint is not listening on the port.", false
		}
		conn.Close()
		return ip, "Success: TCP connection established.", true
	}
	client := &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target.String()+deref(cfg.ResourcePath), nil)
	if err != nil {
		return ip, "Failure: " + err.Error(), false
	}
	if host != "" {
		req.Host = host
	}
	resp, err := client.Do(req)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return ip, "Failure: The health checker could not establish a connection within the timeout limit.", false
		}
		return ip, "Failure: Connection refused. The endpoint or the internet connection is down, or the endpoint is not listening on the port.", false
	}
	resp.Body.Close()
	report := fmt.Sprintf("HTTP Status Code %d, %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return ip, "Failure: " + report, false
	}
	return ip, "Success: " + report, true
}

// observe applies Route 53's counting: FailureThreshold consecutive results
// against the current status flip it; an agreeing result resets the count
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
func (c *Cloud) observe(hc *healthCheck, ip, report string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hc.inFlight = false
	if c.bg.Err() != nil {
		return
	}
	hc.lastReport, hc.lastIP, hc.checkedAt = report, ip, time.Now()
	if ok == hc.healthy {
		hc.streak = 0
		return
	}
	hc.streak++
	if hc.streak < deref(hc.cfg.FailureThreshold) {
		return
	}
	hc.streak = 0
	hc.healthy = ok
	c.r53EventLocked("health-check", "endpoint check %s healthy=%v after %d consecutive results (%s)", hc.id, ok, deref(hc.cfg.FailureThreshold), report)
}

// readMetricChecks sets each CLOUDWATCH_METRIC check from its alarm:
// Route 53 "monitors the data stream for the corresponding alarm" — OK is
// healthy, ALARM unhealthy, insufficient data as
// InsufficientDataHealthStatus says (LastKnownStatus keeps the last one)
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html#health-checks-creating-values-cloudwatch).
// Data at high resolution is not supported (API_AlarmIdentifier.html): the
// lab counts an alarm whose recent data is high-resolution as insufficient.
func (c *Cloud) readMetricChecks() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hc := range c.route53.checks {
		if *hc.cfg.Type != "CLOUDWATCH_METRIC" {
			continue
		}
		ai := hc.cfg.AlarmIdentifier
		a, ok := c.alarmStateLocked(*ai.Region, *ai.Name)
		state := alarmInsufficient
		if ok && !c.highResolutionLocked(*ai.Region, a) {
			state = a.state
		}
		if c.down[*ai.Region] {
			// The alarm's region is unreachable: no data stream.
			state = alarmInsufficient
		}
		was := hc.metricHealthy
		switch state {
		case alarmOK:
			hc.metricHealthy, hc.metricReport = true, "Success: the CloudWatch alarm is in the OK state"
		case alarmAlarm:
			hc.metricHealthy, hc.metricReport = false, "Failure: the CloudWatch alarm is in the ALARM state"
		default:
			switch deref(hc.cfg.InsufficientDataHealthStatus) {
			case "Healthy":
				hc.metricHealthy = true
			case "Unhealthy":
				hc.metricHealthy = false
			}
			hc.metricReport = "Insufficient data: InsufficientDataHealthStatus " + deref(hc.cfg.InsufficientDataHealthStatus)
		}
		if was != hc.metricHealthy {
			c.r53EventLocked("health-check", "metric check %s healthy=%v (alarm %s %s)", hc.id, hc.metricHealthy, *ai.Name, state)
		}
	}
}

// highResolutionLocked reports whether the alarm's metric received
// high-resolution datapoints within its evaluation range.
func (c *Cloud) highResolutionLocked(region string, a *alarm) bool {
	r, ok := c.regions[region]
	if !ok {
		return false
	}
	s := r.cloudwatch.series[seriesKey(*a.cfg.Namespace, *a.cfg.MetricName, a.cfg.Dimensions)]
	if s == nil {
		return false
	}
	since := time.Now().Add(-time.Duration(*a.cfg.EvaluationPeriods) * c.scaled(time.Duration(*a.cfg.Period)*time.Second))
	for _, d := range s.points {
		if !d.at.Before(since) && d.resolution == 1 {
			return true
		}
	}
	return false
}

func (c *Cloud) r53EventLocked(kind, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	c.route53.events = append(c.route53.events, Route53Event{At: time.Now(), Kind: kind, Detail: detail})
	c.logf("route53: %s", detail)
}

// Route53Events returns the health and record changes so far.
func (c *Cloud) Route53Events() []Route53Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.route53.events)
}

// zoneIDFor derives a hosted zone id: "Z" and 13 to 21 upper-case
// letters and digits.
func zoneIDFor() string { return "Z" + strings.ToUpper(randomID(13)) }

func (c *Cloud) r53CreateHostedZone(_ context.Context, _ string, in *CreateHostedZoneInput) (*CreateHostedZoneOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if deref(in.HostedZoneConfig).PrivateZone != nil && *in.HostedZoneConfig.PrivateZone {
		return nil, invalidInput("The lab hosts public zones only.")
	}
	for _, z := range c.route53.zones {
		if z.ref == *in.CallerReference {
			return nil, conflict("HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")
		}
	}
	name := dnssim.CanonicalName(*in.Name)
	id := zoneIDFor()
	z := &hostedZone{id: id, name: name, ref: *in.CallerReference, cfg: deref(in.HostedZoneConfig)}
	z.cfg.PrivateZone = ptr(false)
	for i := range 4 {
		z.nameServers = append(z.nameServers, fmt.Sprintf("ns-%d.awsdns-%02d.lab.", 100+i, i))
	}
	// A new zone holds its SOA and NS records
	// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/SOA-NSrecords.html).
	var ns []ResourceRecord
	for _, n := range z.nameServers {
		ns = append(ns, ResourceRecord{Value: ptr(n)})
	}
	z.sets = []*recordSet{
		{rrs: ResourceRecordSet{Name: ptr(name), Type: ptr("NS"), TTL: ptr(172800), ResourceRecords: ns}, live: true},
		{rrs: ResourceRecordSet{Name: ptr(name), Type: ptr("SOA"), TTL: ptr(900), ResourceRecords: []ResourceRecord{{Value: ptr(z.nameServers[0] + " awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")}}}, live: true},
	}
	c.route53.zones[id] = z
	change := c.newChangeLocked(nil, nil)
	return &CreateHostedZoneOutput{HostedZone: c.describeZoneLocked(z), ChangeInfo: change, DelegationSet: &DelegationSet{NameServers: slices.Clone(z.nameServers)}}, nil
}

func (c *Cloud) describeZoneLocked(z *hostedZone) *HostedZone {
	n := 0
	for _, rs := range z.sets {
		if !rs.deleted {
			n++
		}
	}
	cfg := z.cfg
	return &HostedZone{Id: ptr("/hostedzone/" + z.id), Name: ptr(z.name), CallerReference: ptr(z.ref), Config: &cfg, ResourceRecordSetCount: ptr(n)}
}

func (c *Cloud) zoneLocked(id string) (*hostedZone, *Error) {
	z, ok := c.route53.zones[bareID(id)]
	if !ok {
		return nil, notFound("NoSuchHostedZone", "No hosted zone found with ID: %s", bareID(id))
	}
	return z, nil
}

func (c *Cloud) r53GetHostedZone(_ context.Context, _ string, in *HostedZoneIDInput) (*GetHostedZoneOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, err := c.zoneLocked(*in.Id)
	if err != nil {
		return nil, err
	}
	return &GetHostedZoneOutput{HostedZone: c.describeZoneLocked(z), DelegationSet: &DelegationSet{NameServers: slices.Clone(z.nameServers)}}, nil
}

// sortedZonesLocked orders zones as ListHostedZonesByName does: by name
// with labels reversed, then by id
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html).
func (c *Cloud) sortedZonesLocked() []*hostedZone {
	var zs []*hostedZone
	for _, z := range c.route53.zones {
		zs = append(zs, z)
	}
	sort.Slice(zs, func(i, j int) bool {
		a, b := reversedLabels(zs[i].name), reversedLabels(zs[j].name)
		if a != b {
			return a < b
		}
		return zs[i].id < zs[j].id
	})
	return zs
}

func reversedLabels(name string) string {
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

func (c *Cloud) r53ListHostedZones(_ context.Context, _ string, in *ListHostedZonesInput) (*ListHostedZonesOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &ListHostedZonesOutput{HostedZones: []HostedZone{}, IsTruncated: ptr(false), MaxItems: orDefault(in.MaxItems, "100"), Marker: in.Marker}
	for _, z := range c.sortedZonesLocked() {
		out.HostedZones = append(out.HostedZones, *c.describeZoneLocked(z))
	}
	return out, nil
}

func (c *Cloud) r53ListHostedZonesByName(_ context.Context, _ string, in *ListHostedZonesByNameInput) (*ListHostedZonesByNameOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &ListHostedZonesByNameOutput{HostedZones: []HostedZone{}, IsTruncated: ptr(false), MaxItems: orDefault(in.MaxItems, "100"), DNSName: in.DNSName, HostedZoneId: in.HostedZoneId}
	from := ""
	if in.DNSName != nil {
		from = reversedLabels(dnssim.CanonicalName(*in.DNSName))
	}
	for _, z := range c.sortedZonesLocked() {
		if reversedLabels(z.name) < from {
			continue
		}
		out.HostedZones = append(out.HostedZones, *c.describeZoneLocked(z))
	}
	return out, nil
}

// newChangeLocked records a change, PENDING until Route 53 has propagated
// it to its name servers, then INSYNC; apply runs at INSYNC.
func (c *Cloud) newChangeLocked(comment *string, apply func()) *ChangeInfo {
	id := "C" + strings.ToUpper(randomID(20))
	ci := &ChangeInfo{Id: ptr("/change/" + id), Status: ptr("PENDING"), SubmittedAt: At(time.Now()), Comment: comment}
	c.route53.changes[id] = ci
	c.background(func(ctx context.Context) {
		if !sleep(ctx, c.scaled(c.timings.ChangePropagation)) {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		ci.Status = ptr("INSYNC")
		if apply != nil {
			apply()
		}
	})
	out := *ci
	return &out
}

func (c *Cloud) r53GetChange(_ context.Context, _ string, in *GetChangeInput) (*ChangeInfoOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ci, ok := c.route53.changes[bareID(*in.Id)]
	if !ok {
		return nil, notFound("NoSuchChange", "A change with the specified change ID does not exist.")
	}
	out := *ci
	return &ChangeInfoOutput{ChangeInfo: &out}, nil
}

var routingTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true, "TXT": true, "MX": true, "NS": true, "SOA": true, "SRV": true, "CAA": true, "PTR": true, "SPF": true, "NAPTR": true, "DS": true}

func rrsetLabel(r ResourceRecordSet) string {
	label := fmt.Sprintf("name='%s', type='%s'", strings.TrimSuffix(dnssim.CanonicalName(*r.Name), "."), *r.Type)
	if r.SetIdentifier != nil {
		label += fmt.Sprintf(", set-identifier='%s'", *r.SetIdentifier)
	}
	return "[" + label + "]"
}

func sameSet(a, b ResourceRecordSet) bool {
	return dnssim.CanonicalName(*a.Name) == dnssim.CanonicalName(*b.Name) && *a.Type == *b.Type && deref(a.SetIdentifier) == deref(b.SetIdentifier)
}

func (c *Cloud) r53ChangeResourceRecordSets(_ context.Context, _ string, in *ChangeResourceRecordSetsInput) (*ChangeInfoOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, err := c.zoneLocked(*in.HostedZoneId)
	if err != nil {
		return nil, err
	}
	// The batch is validated as a whole against the zone with the batch's
	// earlier changes applied, and applied all or nothing
	// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html:
	// "if any change fails, none of the changes are made").
	current := []ResourceRecordSet{}
	for _, rs := range z.sets {
		if !rs.deleted {
			current = append(current, rs.rrs)
		}
	}
	var problems []string
	for _, ch := range in.ChangeBatch.Changes {
		r := *ch.ResourceRecordSet
		r.Name = ptr(dnssim.CanonicalName(*r.Name))
		if msg := c.checkRecordSetLocked(z, r); msg != "" {
			problems = append(problems, msg)
			continue
		}
		i := slices.IndexFunc(current, func(o ResourceRecordSet) bool { return sameSet(o, r) })
		switch *ch.Action {
		case "CREATE":
			if i >= 0 {
				problems = append(problems, fmt.Sprintf("Tried to create resource record set %s but it already exists", rrsetLabel(r)))
				continue
			}
			current = append(current, r)
		case "DELETE":
			// A delete must match the existing set exactly.
			if i < 0 || !reflect.DeepEqual(normalizeSet(current[i]), normalizeSet(r)) {
				problems = append(problems, fmt.Sprintf("Tried to delete resource record set %s but it was not found", rrsetLabel(r)))
				continue
			}
			current = append(current[:i], current[i+1:]...)
		case "UPSERT":
			if i >= 0 {
				current[i] = r
			} else {
				current = append(current, r)
			}
		default:
			problems = append(problems, fmt.Sprintf("Invalid action %s", *ch.Action))
		}
	}
	if len(problems) == 0 {
		problems = checkZoneConsistency(z, current)
	}
	if len(problems) > 0 {
		return nil, errorf("InvalidChangeBatch", "[%s]", strings.Join(problems, ", "))
	}
	// Changes take effect on the name servers at INSYNC: until then DNS
	// answers from the old sets.
	var added []*recordSet
	var removed []*recordSet
	for _, rs := range z.sets {
		if !rs.deleted && !slices.ContainsFunc(current, func(o ResourceRecordSet) bool {
			return sameSet(o, rs.rrs) && reflect.DeepEqual(normalizeSet(o), normalizeSet(rs.rrs))
		}) {
			rs.deleted = true
			removed = append(removed, rs)
		}
	}
	for _, r := range current {
		if !slices.ContainsFunc(z.sets, func(rs *recordSet) bool {
			return !rs.deleted && sameSet(rs.rrs, r) && reflect.DeepEqual(normalizeSet(rs.rrs), normalizeSet(r))
		}) {
			rs := &recordSet{rrs: r}
			z.sets = append(z.sets, rs)
			added = append(added, rs)
		}
	}
	for _, rs := range added {
		c.r53EventLocked("record-set", "change submitted: %s %s", rrsetLabel(rs.rrs), strings.Join(recordValues(rs.rrs), ","))
	}
	ci := c.newChangeLocked(in.ChangeBatch.Comment, func() {
		for _, rs := range added {
			rs.live = true
		}
		z.sets = slices.DeleteFunc(z.sets, func(rs *recordSet) bool { return slices.Contains(removed, rs) })
		c.r53EventLocked("record-set", "change INSYNC in zone %s: %d set(s) added, %d removed", z.name, len(added), len(removed))
	})
	return &ChangeInfoOutput{ChangeInfo: ci}, nil
}

func normalizeSet(r ResourceRecordSet) ResourceRecordSet {
	r.Name = ptr(dnssim.CanonicalName(*r.Name))
	if r.ResourceRecords == nil {
		r.ResourceRecords = []ResourceRecord{}
	}
	return r
}

func recordValues(r ResourceRecordSet) []string {
	var out []string
	for _, v := range r.ResourceRecords {
		out = append(out, deref(v.Value))
	}
	if r.AliasTarget != nil {
		out = append(out, "ALIAS "+deref(r.AliasTarget.DNSName))
	}
	return out
}

// checkRecordSetLocked applies the per-set rules of ResourceRecordSet
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html).
func (c *Cloud) checkRecordSetLocked(z *hostedZone, r ResourceRecordSet) string {
	name := *r.Name
	if name != z.name && !strings.HasSuffix(name, "."+z.name) {
		return fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", name, z.name)
	}
	if !routingTypes[*r.Type] {
		return fmt.Sprintf("Invalid Resource Record type %s", *r.Type)
	}
	if *r.Type == "CNAME" && name == z.name {
		return fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", name, z.name)
	}
	alias := r.AliasTarget != nil
	switch {
	case alias && (r.TTL != nil || len(r.ResourceRecords) > 0):
		return fmt.Sprintf("Alias record set %s must not have TTL or ResourceRecords", rrsetLabel(r))
	case !alias && r.TTL == nil:
		return fmt.Sprintf("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=..., Name=%s, Type=%s, SetIdentifier=%s]", name, *r.Type, deref(r.SetIdentifier))
	case !alias && len(r.ResourceRecords) == 0:
		return fmt.Sprintf("Invalid request: ResourceRecords is required for %s", rrsetLabel(r))
	}
	if *r.Type == "CNAME" && len(r.ResourceRecords) > 1 {
		return fmt.Sprintf("RRSet of type CNAME with DNS name %s has more than one value", name)
	}
	policies := 0
	for _, set := range []bool{r.Failover != nil, r.Weight != nil, r.Region != nil, r.MultiValueAnswer != nil} {
		if set {
			policies++
		}
	}
	if policies > 1 {
		return fmt.Sprintf("Only one routing policy may be set for %s", rrsetLabel(r))
	}
	// A set identifier goes with a routing policy and only then
	// (API_ResourceRecordSet.html, SetIdentifier).
	if (policies == 1) != (r.SetIdentifier != nil) {
		return fmt.Sprintf("Invalid request: SetIdentifier and a routing policy (Failover, Weight, Region, MultiValueAnswer) go together for %s", rrsetLabel(r))
	}
	if f := deref(r.Failover); f != "" && f != "PRIMARY" && f != "SECONDARY" {
		return fmt.Sprintf("Invalid failover value %s", f)
	}
	if id := deref(r.HealthCheckId); id != "" {
		if _, ok := c.route53.checks[id]; !ok {
			return fmt.Sprintf("Invalid health check id %s for %s", id, rrsetLabel(r))
		}
	}
	return ""
}

// checkZoneConsistency applies the rules between sets: a CNAME is alone at
// its name (RFC 1034 §3.6.2; Route 53 refuses with InvalidChangeBatch), and
// a failover pair has at most one PRIMARY and one SECONDARY.
func checkZoneConsistency(z *hostedZone, sets []ResourceRecordSet) []string {
	var problems []string
	byName := map[string][]ResourceRecordSet{}
	for _, r := range sets {
		byName[*r.Name] = append(byName[*r.Name], r)
	}
	for name, rs := range byName {
		types := map[string]bool{}
		failover := map[string]int{}
		for _, r := range rs {
			types[*r.Type] = true
			if f := deref(r.Failover); f != "" {
				failover[*r.Type+"/"+f]++
			}
		}
		if types["CNAME"] && len(types) > 1 {
			for t := range types {
				if t != "CNAME" {
					problems = append(problems, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted because a conflicting RRSet of type %s with the same DNS name already exists in zone %s", name, t, z.name))
				}
			}
		}
		for k, n := range failover {
			if n > 1 {
				problems = append(problems, fmt.Sprintf("A failover record set %s %s already exists at %s", strings.Split(k, "/")[1], strings.Split(k, "/")[0], name))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

func (c *Cloud) r53ListResourceRecordSets(_ context.Context, _ string, in *ListResourceRecordSetsInput) (*ListResourceRecordSetsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, err := c.zoneLocked(*in.HostedZoneId)
	if err != nil {
		return nil, err
	}
	var sets []ResourceRecordSet
	for _, rs := range z.sets {
		if !rs.deleted {
			sets = append(sets, rs.rrs)
		}
	}
	// Ordered by name with labels reversed, then type, then set
	// identifier (API_ListResourceRecordSets.html).
	sort.SliceStable(sets, func(i, j int) bool {
		a, b := reversedLabels(*sets[i].Name), reversedLabels(*sets[j].Name)
		if a != b {
			return a < b
		}
		if *sets[i].Type != *sets[j].Type {
			return *sets[i].Type < *sets[j].Type
		}
		return deref(sets[i].SetIdentifier) < deref(sets[j].SetIdentifier)
	})
	out := &ListResourceRecordSetsOutput{ResourceRecordSets: []ResourceRecordSet{}, IsTruncated: ptr(false), MaxItems: orDefault(in.MaxItems, "300")}
	for _, r := range sets {
		if n := deref(in.StartRecordName); n != "" && reversedLabels(*r.Name) < reversedLabels(dnssim.CanonicalName(n)) {
			continue
		}
		out.ResourceRecordSets = append(out.ResourceRecordSets, r)
	}
	return out, nil
}

func (c *Cloud) tagTargetLocked(typ, id string) *Error {
	switch typ {
	case "healthcheck":
		if _, ok := c.route53.checks[id]; !ok {
			return noSuchHealthCheck(id)
		}
	case "hostedzone":
		if _, err := c.zoneLocked(id); err != nil {
			return err
		}
	default:
		return invalidInput("Invalid resource type %s", typ)
	}
	return nil
}

func (c *Cloud) r53ListTags(_ context.Context, _ string, in *Route53ListTagsInput) (*Route53ListTagsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.tagTargetLocked(*in.ResourceType, *in.ResourceId); err != nil {
		return nil, err
	}
	return &Route53ListTagsOutput{ResourceTagSet: &ResourceTagSet{ResourceType: in.ResourceType, ResourceId: in.ResourceId,
		Tags: nonNil(slices.Clone(c.route53.tags[*in.ResourceType+"/"+*in.ResourceId]))}}, nil
}

func (c *Cloud) r53ChangeTags(_ context.Context, _ string, in *ChangeTagsForResourceInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.tagTargetLocked(*in.ResourceType, *in.ResourceId); err != nil {
		return nil, err
	}
	key := *in.ResourceType + "/" + *in.ResourceId
	tags := mergeTags(c.route53.tags[key], in.AddTags)
	tags = slices.DeleteFunc(tags, func(t Tag) bool { return slices.Contains(in.RemoveTagKeys, t.Key) })
	c.route53.tags[key] = tags
	return &Empty{}, nil
}

// Answer implements dnssim.Zone: Route 53's name servers answering from the
// zones' INSYNC record sets, failover records chosen by health, and CNAMEs
// followed to the lab's load balancers as a recursive resolver would.
func (c *Cloud) Answer(name string, qtype dnsmessage.Type) dnssim.Answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out dnssim.Answer
	seen := map[string]bool{}
	for range 8 {
		if seen[name] {
			break
		}
		seen[name] = true
		recs, rcode, next := c.answerOneLocked(name, qtype)
		out.Records = append(out.Records, recs...)
		if len(out.Records) == 0 {
			out.RCode = rcode
		}
		if next == "" {
			break
		}
		name = next
	}
	return out
}

// albTTL is the TTL of a load balancer's A records: 60 seconds
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#dns-name).
const albTTL = 60 * time.Second

func (c *Cloud) scaledTTL(seconds int) uint32 {
	d := c.scaled(time.Duration(seconds) * time.Second)
	return uint32(max(1, d.Round(time.Second)/time.Second))
}

// answerOneLocked answers one name: its records, the rcode if none, and the
// CNAME target to follow.
func (c *Cloud) answerOneLocked(name string, qtype dnsmessage.Type) ([]dnssim.Record, dnsmessage.RCode, string) {
	var zone *hostedZone
	for _, z := range c.route53.zones {
		if (name == z.name || strings.HasSuffix(name, "."+z.name)) && (zone == nil || len(z.name) > len(zone.name)) {
			zone = z
		}
	}
	if zone == nil {
		// Not ours: a load balancer's name the lab serves, or nothing.
		if c.opts.ResolveTarget != nil {
			if ap, ok := c.opts.ResolveTarget(strings.TrimSuffix(name, ".")); ok && ap.Addr().Is4() {
				if qtype != dnsmessage.TypeA {
					return nil, dnsmessage.RCodeSuccess, ""
				}
				return []dnssim.Record{{Name: name, TTL: c.scaledTTL(int(albTTL / time.Second)), A: ap.Addr()}}, dnsmessage.RCodeSuccess, ""
			}
		}
		return nil, dnsmessage.RCodeNameError, ""
	}
	var cname, atype []*recordSet
	exists := false
	for _, rs := range zone.sets {
		if !rs.live || *rs.rrs.Name != name {
			continue
		}
		exists = true
		switch *rs.rrs.Type {
		case "CNAME":
			cname = append(cname, rs)
		case "A":
			atype = append(atype, rs)
		}
	}
	if !exists {
		return nil, dnsmessage.RCodeNameError, ""
	}
	if len(cname) > 0 {
		rs := c.chooseLocked(cname)
		if rs == nil {
			return nil, dnsmessage.RCodeSuccess, ""
		}
		target := dnssim.CanonicalName(deref(rs.rrs.ResourceRecords[0].Value))
		return []dnssim.Record{{Name: name, TTL: c.scaledTTL(deref(rs.rrs.TTL)), Target: target}}, dnsmessage.RCodeSuccess, target
	}
	if qtype != dnsmessage.TypeA || len(atype) == 0 {
		return nil, dnsmessage.RCodeSuccess, ""
	}
	rs := c.chooseLocked(atype)
	if rs == nil {
		return nil, dnsmessage.RCodeSuccess, ""
	}
	var recs []dnssim.Record
	for _, v := range rs.rrs.ResourceRecords {
		if ip, err := netip.ParseAddr(deref(v.Value)); err == nil && ip.Is4() {
			recs = append(recs, dnssim.Record{Name: name, TTL: c.scaledTTL(deref(rs.rrs.TTL)), A: ip})
		}
	}
	return recs, dnsmessage.RCodeSuccess, ""
}

// chooseLocked picks the set Route 53 answers with among the sets at one
// name and type. For failover: the PRIMARY while it is healthy (a set
// without a health check is healthy), else the SECONDARY if healthy, and
// the PRIMARY when both are unhealthy
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html
// and health-checks-how-route-53-chooses-records.html).
func (c *Cloud) chooseLocked(sets []*recordSet) *recordSet {
	if len(sets) == 1 && sets[0].rrs.Failover == nil {
		return sets[0]
	}
	var primary, secondary *recordSet
	for _, rs := range sets {
		switch deref(rs.rrs.Failover) {
		case "PRIMARY":
			primary = rs
		case "SECONDARY":
			secondary = rs
		}
	}
	healthy := func(rs *recordSet) bool {
		if rs == nil {
			return false
		}
		id := deref(rs.rrs.HealthCheckId)
		if id == "" {
			return true
		}
		hc, ok := c.route53.checks[id]
		return ok && c.checkHealthyLocked(hc, 0)
	}
	switch {
	case healthy(primary):
		return primary
	case healthy(secondary):
		return secondary
	case primary != nil:
		return primary
	default:
		return secondary
	}
}

// ChangeStatus returns a change's status, for tests.
func (c *Cloud) ChangeStatus(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ci, ok := c.route53.changes[bareID(id)]; ok {
		return *ci.Status
	}
	return ""
}
