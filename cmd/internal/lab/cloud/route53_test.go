package cloud

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
)

const (
	primaryALB = "primary-alb-123.eu-west-1.elb.amazonaws.com"
	standbyALB = "standby-alb-456.eu-central-1.elb.amazonaws.com"
	appHost    = "app.taskflow.example.com"
)

// endpoints are the two regions' stand-in load balancers.
type endpoints struct {
	primary, standby *httptest.Server
	primaryUp        atomic.Bool
	probes           atomic.Int64
}

func newEndpoints(t *testing.T) *endpoints {
	e := &endpoints{}
	e.primaryUp.Store(true)
	e.primary = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.probes.Add(1)
		if !e.primaryUp.Load() || r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	e.standby = httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(e.primary.Close)
	t.Cleanup(e.standby.Close)
	return e
}

func (e *endpoints) resolve(host string) (netip.AddrPort, bool) {
	switch host {
	case primaryALB:
		return netip.MustParseAddrPort(strings.TrimPrefix(e.primary.URL, "http://")), true
	case standbyALB:
		return netip.MustParseAddrPort(strings.TrimPrefix(e.standby.URL, "http://")), true
	}
	return netip.AddrPort{}, false
}

// failoverTopology creates what the two stacks create in Route 53: the
// endpoint check, the fence alarm and its metric check, the gate, and the
// PRIMARY and SECONDARY records.
func failoverTopology(t *testing.T, c *Cloud, threshold int) (zoneID, gateID, endpointID, fenceID string) {
	t.Helper()
	z := call[CreateHostedZoneOutput](t, c, west, "route53", "CreateHostedZone", &CreateHostedZoneInput{Name: s("taskflow.example.com"), CallerReference: s("zone")})
	zoneID = *z.HostedZone.Id
	ep := call[HealthCheckOutput](t, c, west, "route53", "CreateHealthCheck", &CreateHealthCheckInput{CallerReference: s("endpoint"), HealthCheckConfig: &HealthCheckConfig{
		Type: s("HTTPS"), FullyQualifiedDomainName: s(primaryALB), Port: i(443), ResourcePath: s("/healthz"), RequestInterval: i(10), FailureThreshold: i(3),
		Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-1"},
	}})
	fenceAlarm(t, c)
	fence := call[HealthCheckOutput](t, c, central, "route53", "CreateHealthCheck", &CreateHealthCheckInput{CallerReference: s("fence"), HealthCheckConfig: &HealthCheckConfig{
		Type: s("CLOUDWATCH_METRIC"), AlarmIdentifier: &AlarmIdentifier{Region: s(central), Name: s("taskflow-dr-fence-primary")}, InsufficientDataHealthStatus: s("Healthy"),
	}})
	gate := call[HealthCheckOutput](t, c, west, "route53", "CreateHealthCheck", &CreateHealthCheckInput{CallerReference: s("gate"), HealthCheckConfig: &HealthCheckConfig{
		Type: s("CALCULATED"), ChildHealthChecks: []string{*ep.HealthCheck.Id, *fence.HealthCheck.Id}, HealthThreshold: &threshold,
	}})
	call[ChangeInfoOutput](t, c, west, "route53", "ChangeResourceRecordSets", &ChangeResourceRecordSetsInput{HostedZoneId: &zoneID, ChangeBatch: &ChangeBatch{Changes: []Change{
		{Action: s("CREATE"), ResourceRecordSet: &ResourceRecordSet{Name: s(appHost), Type: s("CNAME"), TTL: i(60), SetIdentifier: s("primary"),
			Failover: s("PRIMARY"), HealthCheckId: gate.HealthCheck.Id, ResourceRecords: []ResourceRecord{{Value: s(primaryALB)}}}},
		{Action: s("CREATE"), ResourceRecordSet: &ResourceRecordSet{Name: s(appHost + "."), Type: s("CNAME"), TTL: i(60), SetIdentifier: s("standby"),
			Failover: s("SECONDARY"), ResourceRecords: []ResourceRecord{{Value: s(standbyALB)}}}},
	}}})
	return zoneID, *gate.HealthCheck.Id, *ep.HealthCheck.Id, *fence.HealthCheck.Id
}

func lookup(t *testing.T, addr string) netip.Addr {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ips, err := dnssim.NewResolver(addr).LookupNetIP(ctx, "ip4", appHost)
	if err != nil || len(ips) != 1 {
		return netip.Addr{}
	}
	return ips[0]
}

func TestFailoverRoutingFollowsTheGate(t *testing.T) {
	ep := newEndpoints(t)
	c := newTestCloud(t, Timings{}, func(o *Options) { o.ResolveTarget = ep.resolve })
	srv, err := dnssim.Serve(c, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	_, gate, endpoint, _ := failoverTopology(t, c, 2)
	primaryIP := netip.MustParseAddr("127.0.0.1")

	// Records answer only once their change is INSYNC (60 s, scaled).
	if got := lookup(t, srv.Addr()); got.IsValid() {
		t.Fatalf("answered %v before the change was INSYNC", got)
	}
	eventually(t, 3*time.Second, "an answer", func() bool { return lookup(t, srv.Addr()) == primaryIP })
	if _, answers := resolveChain(t, srv.Addr()); answers != primaryALB+" -> 127.0.0.1" {
		t.Fatalf("answer %s, want the PRIMARY's load balancer", answers)
	}

	// Endpoint down: three failed checks (10 s interval, scaled) flip the
	// endpoint check, the gate follows, DNS answers the SECONDARY.
	ep.primaryUp.Store(false)
	down := time.Now()
	eventually(t, 3*time.Second, "the gate unhealthy", func() bool { h, _ := c.HealthCheckHealthy(gate); return !h })
	if took := time.Since(down); took < 200*time.Millisecond {
		t.Fatalf("unhealthy after %s: fewer than three 100 ms checks", took)
	}
	if h, _ := c.HealthCheckHealthy(endpoint); h {
		t.Fatal("the endpoint check is healthy")
	}
	// Both lab ALBs are 127.0.0.1: tell them apart by the CNAME.
	_, answers := resolveChain(t, srv.Addr())
	if !strings.Contains(answers, standbyALB) {
		t.Fatalf("answer %s, want the SECONDARY's %s", answers, standbyALB)
	}
	status := call[GetHealthCheckStatusOutput](t, c, west, "route53", "GetHealthCheckStatus", &HealthCheckIDInput{HealthCheckId: &endpoint})
	if len(status.HealthCheckObservations) != 3 || !strings.HasPrefix(*status.HealthCheckObservations[0].StatusReport.Status, "Failure: HTTP Status Code 503") {
		t.Fatalf("observations %+v", status.HealthCheckObservations)
	}

	// The endpoint comes back, but the fence holds the gate down.
	putValue(t, c, central, "TaskFlowDR", "PrimaryFenced", "FencedStack", "primary", 1, 60)
	eventually(t, 3*time.Second, "the fence alarm", func() bool { return alarmState(t, c, central, "taskflow-dr-fence-primary") == "ALARM" })
	ep.primaryUp.Store(true)
	eventually(t, 3*time.Second, "the endpoint healthy again", func() bool { h, _ := c.HealthCheckHealthy(endpoint); return h })
	time.Sleep(500 * time.Millisecond)
	if h, _ := c.HealthCheckHealthy(gate); h {
		t.Fatal("fenced, yet the gate is healthy with the endpoint back")
	}
	// Unfenced: the PRIMARY is served again.
	putValue(t, c, central, "TaskFlowDR", "PrimaryFenced", "FencedStack", "primary", 0, 60)
	eventually(t, 3*time.Second, "the gate healthy", func() bool { h, _ := c.HealthCheckHealthy(gate); return h })
	if _, answers := resolveChain(t, srv.Addr()); !strings.Contains(answers, primaryALB) {
		t.Fatalf("answer %s, want the PRIMARY's", answers)
	}
}

// resolveChain returns the raw answer chain of an A query.
func resolveChain(t *testing.T, addr string) (netip.Addr, string) {
	t.Helper()
	zone := dnssimClient{addr}
	return zone.query(t)
}

// A CALCULATED check with a threshold above its number of children is
// always unhealthy: dns.fence's manual fallback.
func TestCalculatedThresholdAboveChildren(t *testing.T) {
	ep := newEndpoints(t)
	c := newTestCloud(t, Timings{}, func(o *Options) { o.ResolveTarget = ep.resolve })
	_, gate, _, _ := failoverTopology(t, c, 3)
	time.Sleep(300 * time.Millisecond)
	if h, _ := c.HealthCheckHealthy(gate); h {
		t.Fatal("threshold 3 of 2 children is healthy")
	}
	out := call[HealthCheckOutput](t, c, west, "route53", "GetHealthCheck", &HealthCheckIDInput{HealthCheckId: &gate})
	v := *out.HealthCheck.HealthCheckVersion
	refused(t, c, west, "route53", "UpdateHealthCheck", &UpdateHealthCheckInput{HealthCheckId: &gate, HealthCheckVersion: i(v + 5), HealthThreshold: i(2)}, "HealthCheckVersionMismatch")
	call[HealthCheckOutput](t, c, west, "route53", "UpdateHealthCheck", &UpdateHealthCheckInput{HealthCheckId: &gate, HealthCheckVersion: &v, HealthThreshold: i(2)})
	eventually(t, 2*time.Second, "the gate healthy at threshold 2", func() bool { h, _ := c.HealthCheckHealthy(gate); return h })
	// Threshold 0 is always healthy.
	call[HealthCheckOutput](t, c, west, "route53", "UpdateHealthCheck", &UpdateHealthCheckInput{HealthCheckId: &gate, HealthThreshold: i(0)})
	ep.primaryUp.Store(false)
	time.Sleep(600 * time.Millisecond)
	if h, _ := c.HealthCheckHealthy(gate); !h {
		t.Fatal("threshold 0 is unhealthy")
	}
}

func TestRoute53Rules(t *testing.T) {
	ep := newEndpoints(t)
	c := newTestCloud(t, Timings{}, func(o *Options) { o.ResolveTarget = ep.resolve })
	zone, gate, endpoint, _ := failoverTopology(t, c, 2)
	// Checks in use cannot be deleted.
	refused(t, c, west, "route53", "DeleteHealthCheck", &HealthCheckIDInput{HealthCheckId: &endpoint}, "HealthCheckInUse")
	refused(t, c, west, "route53", "DeleteHealthCheck", &HealthCheckIDInput{HealthCheckId: &gate}, "HealthCheckInUse")
	refused(t, c, west, "route53", "GetHealthCheck", &HealthCheckIDInput{HealthCheckId: s("nope")}, "NoSuchHealthCheck")
	// Route 53 refuses alarms on high-resolution metrics.
	call[Empty](t, c, central, "monitoring", "PutMetricAlarm", &PutMetricAlarmInput{AlarmName: s("hires"), Namespace: s("N"), MetricName: s("x"),
		Statistic: s("Maximum"), Period: i(10), EvaluationPeriods: i(1), Threshold: f(1), ComparisonOperator: s("GreaterThanThreshold")})
	refused(t, c, west, "route53", "CreateHealthCheck", &CreateHealthCheckInput{CallerReference: s("hires"), HealthCheckConfig: &HealthCheckConfig{
		Type: s("CLOUDWATCH_METRIC"), AlarmIdentifier: &AlarmIdentifier{Region: s(central), Name: s("hires")}}}, "InvalidInput")
	refused(t, c, west, "route53", "CreateHealthCheck", &CreateHealthCheckInput{CallerReference: s("x"), HealthCheckConfig: &HealthCheckConfig{
		Type: s("HTTPS"), FullyQualifiedDomainName: s(primaryALB), RequestInterval: i(20)}}, "InvalidInput")
	// The same caller reference with another config.
	refused(t, c, west, "route53", "CreateHealthCheck", &CreateHealthCheckInput{CallerReference: s("endpoint"), HealthCheckConfig: &HealthCheckConfig{
		Type: s("HTTPS"), FullyQualifiedDomainName: s(standbyALB)}}, "HealthCheckAlreadyExists")
	// Record rules: a second PRIMARY, a CNAME beside an A, a duplicate.
	for _, rrs := range []ResourceRecordSet{
		{Name: s(appHost), Type: s("CNAME"), TTL: i(60), SetIdentifier: s("other"), Failover: s("PRIMARY"), ResourceRecords: []ResourceRecord{{Value: s("x.example.com")}}},
		{Name: s(appHost), Type: s("A"), TTL: i(60), ResourceRecords: []ResourceRecord{{Value: s("192.0.2.1")}}},
		{Name: s(appHost), Type: s("CNAME"), TTL: i(60), SetIdentifier: s("primary"), Failover: s("PRIMARY"), ResourceRecords: []ResourceRecord{{Value: s(primaryALB)}}},
		{Name: s("app.other.com"), Type: s("A"), TTL: i(60), ResourceRecords: []ResourceRecord{{Value: s("192.0.2.1")}}},
	} {
		refused(t, c, west, "route53", "ChangeResourceRecordSets", &ChangeResourceRecordSetsInput{HostedZoneId: &zone,
			ChangeBatch: &ChangeBatch{Changes: []Change{{Action: s("CREATE"), ResourceRecordSet: &rrs}}}}, "InvalidChangeBatch")
	}
	refused(t, c, west, "route53", "ChangeResourceRecordSets", &ChangeResourceRecordSetsInput{HostedZoneId: s("/hostedzone/ZNOPE"),
		ChangeBatch: &ChangeBatch{Changes: []Change{{Action: s("DELETE"), ResourceRecordSet: &ResourceRecordSet{Name: s("a"), Type: s("A")}}}}}, "NoSuchHostedZone")
	list := call[ListResourceRecordSetsOutput](t, c, west, "route53", "ListResourceRecordSets", &ListResourceRecordSetsInput{HostedZoneId: &zone})
	if n := len(list.ResourceRecordSets); n != 4 {
		t.Fatalf("%d record sets, want NS, SOA and the failover pair", n)
	}
	// Route 53's control plane is in us-east-1: down, it refuses changes
	// while health checks and DNS keep going.
	c.SetRegionDown("us-east-1", true)
	o, _ := c.Lookup("route53", "GetHealthCheck")
	if _, err := c.Call(context.Background(), o, central, "test", &HealthCheckIDInput{HealthCheckId: &gate}); err != ErrUnreachable {
		t.Fatalf("control plane down: %v", err)
	}
	ep.primaryUp.Store(false)
	eventually(t, 3*time.Second, "the data plane still checking", func() bool { h, _ := c.HealthCheckHealthy(endpoint); return !h })
}

// dnssimClient sends one A query and reports the chain it got.
type dnssimClient struct{ addr string }

func (d dnssimClient) query(t *testing.T) (netip.Addr, string) {
	t.Helper()
	name := dnsmessage.MustNewName(appHost + ".")
	q, err := (&dnsmessage.Message{Header: dnsmessage.Header{ID: 7, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}}).Pack()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", d.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write(q); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var m dnsmessage.Message
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	var chain []string
	var a netip.Addr
	for _, rr := range m.Answers {
		switch body := rr.Body.(type) {
		case *dnsmessage.CNAMEResource:
			chain = append(chain, strings.TrimSuffix(body.CNAME.String(), "."))
		case *dnsmessage.AResource:
			a = netip.AddrFrom4(body.A)
			chain = append(chain, a.String())
		}
	}
	return a, strings.Join(chain, " -> ")
}
