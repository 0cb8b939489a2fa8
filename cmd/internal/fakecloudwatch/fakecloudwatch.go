// Package fakecloudwatch is a CloudWatch endpoint for tests: PutMetricData
// and GetMetricData over the wire protocol the AWS SDK for Go v2 speaks
// (smithy RPC v2 CBOR, service/cloudwatch v1.75.7 api_client.go:215), for
// every region at once, the region taken from each request's SigV4 scope.
// Point a client at it with the SDK's standard endpoint override
// (AWS_ENDPOINT_URL, or Options.BaseEndpoint).
//
// It is at least as strict as CloudWatch for what it serves: the limits of
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
// and API_GetMetricData.html (quoted in the SDK's api_op_*.go and
// types/types.go) are enforced, unsigned requests are refused, and any other
// operation, a metric math expression or a percentile statistic fails loudly
// rather than being answered kindly. It does not verify signatures (it does
// not know the secret keys) and data is readable at once (CloudWatch may take
// seconds to minutes).
package fakecloudwatch

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// pathPrefix is the RPC v2 path of CloudWatch's operations (service shape
// GraniteServiceVersion20100801).
const pathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// Limits from the API reference.
const (
	maxRequestBytes     = 1 << 20 // "limited to 1 MB in size for HTTP POST requests"
	maxMetricsPerPut    = 1000    // "no more than 1000 different metrics"
	maxDimensions       = 30      // "up to 30 dimensions per metric"
	maxQueries          = 500     // "as many as 500 MetricDataQuery structures"
	defaultMaxPoints    = 100800  // MaxDatapoints default
	maxPast             = 14 * 24 * time.Hour
	maxFuture           = 2 * time.Hour
	highResAvailability = 3 * time.Hour // periods under 60 s only within 3 hours
)

var (
	validUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
		"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
		"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
		"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
		"Count/Second", "None"}
	validStats = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	// queryID is MetricDataQuery.Id's rule: starts with a lowercase letter.
	queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	// credentialScope is SigV4's Credential=AKID/date/region/service/aws4_request.
	credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)
)

// Point is one stored data point.
type Point struct {
	At         time.Time
	Value      float64
	Unit       string
	Resolution int // StorageResolution: 1 or 60
}

// Server is the fake endpoint. Safe for concurrent use.
type Server struct {
	srv *httptest.Server
	now func() time.Time

	mu      sync.Mutex
	metrics map[string][]Point // by seriesKey
	calls   map[string]int     // by region + " " + operation
	failing int                // requests still to fail with a server error
}

// Start serves on a loopback port until Close.
func Start() *Server {
	s := &Server{now: time.Now, metrics: map[string][]Point{}, calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// URL is the endpoint to give AWS_ENDPOINT_URL.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// FailNext makes the next n requests fail with a 500 InternalServiceFault,
// as CloudWatch does when it has trouble, so callers' retries are exercised.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = n
}

// Calls counts the requests of an operation in a region that were accepted.
func (s *Server) Calls(region, operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[region+" "+operation]
}

// Points returns the stored points of one metric, oldest first.
func (s *Server) Points(region, namespace, metric string, dims map[string]string) []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.metrics[seriesKey(region, namespace, metric, dims)])
}

// seriesKey identifies a metric: region, namespace, name and the exact set
// of dimensions (CloudWatch treats each combination as its own metric).
func seriesKey(region, namespace, metric string, dims map[string]string) string {
	names := make([]string, 0, len(dims))
	for n := range dims {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%s", region, namespace, metric)
	for _, n := range names {
		fmt.Fprintf(&b, "\x00%s=%s", n, dims[n])
	}
	return b.String()
}

// apiError is an error answer: HTTP status, the shape name and the query
// error code (CloudWatch is awsQueryCompatible, so the SDK reads the code
// from X-Amzn-Query-Error).
type apiError struct {
	status    int
	shape     string
	queryCode string
	message   string
}

func (e *apiError) Error() string { return e.queryCode + ": " + e.message }

func invalid(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValueException", "InvalidParameterValue", fmt.Sprintf(format, args...)}
}

func missing(param string) *apiError {
	return &apiError{http.StatusBadRequest, "MissingRequiredParameterException", "MissingParameter",
		fmt.Sprintf("The parameter %s is required.", param)}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	out, err := s.serve(r)
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	if err != nil {
		fault := "Sender"
		if err.status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", err.queryCode+";"+fault)
		w.WriteHeader(err.status)
		_, _ = w.Write(cbor.Encode(cbor.Map{
			"__type":  cbor.String("com.amazonaws.cloudwatch#" + err.shape),
			"message": cbor.String(err.message),
		}))
		return
	}
	_, _ = w.Write(cbor.Encode(out))
}

func (s *Server) serve(r *http.Request) (cbor.Map, *apiError) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, pathPrefix) {
		return nil, &apiError{http.StatusNotFound, "UnknownOperationException", "UnknownOperation", "not a CloudWatch RPC v2 path: " + r.URL.Path}
	}
	if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.Header.Get("Content-Type") != "application/cbor" {
		return nil, &apiError{http.StatusBadRequest, "ValidationException", "InvalidRequest", "expected Smithy-Protocol rpc-v2-cbor and Content-Type application/cbor"}
	}
	scope := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if scope == nil || r.Header.Get("X-Amz-Date") == "" {
		return nil, &apiError{http.StatusForbidden, "MissingAuthenticationTokenException", "MissingAuthenticationToken", "Request is missing Authentication Token"}
	}
	if scope[4] != "monitoring" {
		return nil, &apiError{http.StatusForbidden, "InvalidSignatureException", "InvalidSignatureException", "Credential should be scoped to correct service: 'monitoring'."}
	}
	region := scope[3]
	body, apiErr := readBody(r)
	if apiErr != nil {
		return nil, apiErr
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, &apiError{http.StatusBadRequest, "SerializationException", "SerializationException", "body is not CBOR: " + err.Error()}
	}
	in, ok := v.(cbor.Map)
	if !ok {
		return nil, &apiError{http.StatusBadRequest, "SerializationException", "SerializationException", "body is not a CBOR map"}
	}
	op := strings.TrimPrefix(r.URL.Path, pathPrefix)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing > 0 {
		s.failing--
		return nil, &apiError{http.StatusInternalServerError, "InternalServiceFault", "InternalServiceError", "injected failure"}
	}
	var out cbor.Map
	switch op {
	case "PutMetricData":
		out, apiErr = s.putMetricData(region, in)
	case "GetMetricData":
		out, apiErr = s.getMetricData(region, in)
	default:
		return nil, &apiError{http.StatusBadRequest, "UnknownOperationException", "InvalidAction", "the fake does not serve " + op}
	}
	if apiErr == nil {
		s.calls[region+" "+op]++
	}
	return out, apiErr
}

func readBody(r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return nil, &apiError{http.StatusBadRequest, "SerializationException", "SerializationException", err.Error()}
	}
	if len(body) > maxRequestBytes {
		return nil, &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge", "request larger than 1 MB"}
	}
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, &apiError{http.StatusBadRequest, "SerializationException", "SerializationException", "bad gzip body: " + err.Error()}
		}
		if body, err = io.ReadAll(io.LimitReader(zr, 10*maxRequestBytes)); err != nil {
			return nil, &apiError{http.StatusBadRequest, "SerializationException", "SerializationException", "bad gzip body: " + err.Error()}
		}
	}
	return body, nil
}

func (s *Server) putMetricData(region string, in cbor.Map) (cbor.Map, *apiError) {
	ns, err := requiredString(in, "Namespace", 1, 255)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(ns, "AWS/") {
		return nil, invalid("The value AWS/ for parameter Namespace is invalid.")
	}
	data, ok := in["MetricData"].(cbor.List)
	if !ok || len(data) == 0 {
		return nil, missing("MetricData")
	}
	if len(data) > maxMetricsPerPut {
		return nil, invalid("The collection MetricData must not have a size greater than %d.", maxMetricsPerPut)
	}
	type pending struct {
		key string
		p   Point
	}
	var points []pending
	now := s.now()
	for i, item := range data {
		m, ok := item.(cbor.Map)
		if !ok {
			return nil, invalid("MetricData.member.%d is not a structure", i+1)
		}
		name, err := requiredString(m, "MetricName", 1, 255)
		if err != nil {
			return nil, err
		}
		dims, err := dimensions(m)
		if err != nil {
			return nil, err
		}
		if _, has := m["Values"]; has {
			return nil, invalid("the fake stores single Value data points only")
		}
		if _, has := m["StatisticValues"]; has {
			return nil, invalid("the fake stores single Value data points only")
		}
		val, has := m["Value"]
		if !has {
			return nil, &apiError{http.StatusBadRequest, "InvalidParameterCombinationException", "InvalidParameterCombination",
				fmt.Sprintf("MetricData.member.%d must have a Value", i+1)}
		}
		value, cerr := cbor.AsFloat64(val)
		if cerr != nil || math.IsNaN(value) || math.IsInf(value, 0) || math.Abs(value) > math.Pow(2, 360) ||
			(value != 0 && math.Abs(value) < math.Pow(2, -360)) {
			return nil, invalid("The value %v for parameter MetricData.member.%d.Value is invalid.", val, i+1)
		}
		unit := "None"
		if u, has := m["Unit"]; has {
			us, _ := u.(cbor.String)
			if !slices.Contains(validUnits, string(us)) {
				return nil, invalid("The value %v for parameter MetricData.member.%d.Unit is invalid.", u, i+1)
			}
			unit = string(us)
		}
		res := 60
		if sr, has := m["StorageResolution"]; has {
			n, cerr := cbor.AsInt64(sr)
			if cerr != nil || (n != 1 && n != 60) {
				return nil, invalid("The value %v for parameter MetricData.member.%d.StorageResolution is invalid (1 or 60).", sr, i+1)
			}
			res = int(n)
		}
		at := now
		if ts, has := m["Timestamp"]; has {
			t, cerr := cbor.AsTime(ts)
			if cerr != nil {
				return nil, invalid("MetricData.member.%d.Timestamp: %v", i+1, cerr)
			}
			at = t
		}
		if at.Before(now.Add(-maxPast)) || at.After(now.Add(maxFuture)) {
			return nil, invalid("The parameter MetricData.member.%d.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.", i+1)
		}
		points = append(points, pending{seriesKey(region, ns, name, dims), Point{At: at.UTC(), Value: value, Unit: unit, Resolution: res}})
	}
	// All or nothing, as one API call.
	for _, p := range points {
		s.metrics[p.key] = append(s.metrics[p.key], p.p)
		sort.SliceStable(s.metrics[p.key], func(a, b int) bool { return s.metrics[p.key][a].At.Before(s.metrics[p.key][b].At) })
	}
	return cbor.Map{}, nil
}

func dimensions(m cbor.Map) (map[string]string, *apiError) {
	dims := map[string]string{}
	raw, has := m["Dimensions"]
	if !has {
		return dims, nil
	}
	list, ok := raw.(cbor.List)
	if !ok {
		return nil, invalid("Dimensions is not a list")
	}
	if len(list) > maxDimensions {
		return nil, invalid("The collection Dimensions must not have a size greater than %d.", maxDimensions)
	}
	for _, d := range list {
		dm, ok := d.(cbor.Map)
		if !ok {
			return nil, invalid("a dimension is not a structure")
		}
		name, err := requiredString(dm, "Name", 1, 255)
		if err != nil {
			return nil, err
		}
		value, err := requiredString(dm, "Value", 1, 1024)
		if err != nil {
			return nil, err
		}
		if _, dup := dims[name]; dup {
			return nil, invalid("No Metric may specify the same dimension name twice (%s).", name)
		}
		dims[name] = value
	}
	return dims, nil
}

func requiredString(m cbor.Map, key string, minLen, maxLen int) (string, *apiError) {
	v, has := m[key]
	if !has {
		return "", missing(key)
	}
	s, ok := v.(cbor.String)
	if !ok {
		return "", invalid("The parameter %s must be a string.", key)
	}
	if n := len([]rune(string(s))); n < minLen || n > maxLen {
		return "", invalid("The parameter %s must be between %d and %d characters long.", key, minLen, maxLen)
	}
	return string(s), nil
}

func (s *Server) getMetricData(region string, in cbor.Map) (cbor.Map, *apiError) {
	start, err := requiredTime(in, "StartTime")
	if err != nil {
		return nil, err
	}
	end, err := requiredTime(in, "EndTime")
	if err != nil {
		return nil, err
	}
	if !start.Before(end) {
		return nil, invalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	if _, has := in["NextToken"]; has {
		return nil, invalid("the fake never returns a NextToken")
	}
	maxPoints := int64(defaultMaxPoints)
	if mp, has := in["MaxDatapoints"]; has {
		n, cerr := cbor.AsInt64(mp)
		if cerr != nil || n < 1 {
			return nil, invalid("MaxDatapoints must be a positive integer")
		}
		maxPoints = n
	}
	ascending := false
	if sb, has := in["ScanBy"]; has {
		switch sb {
		case cbor.String("TimestampAscending"):
			ascending = true
		case cbor.String("TimestampDescending"):
		default:
			return nil, invalid("The value %v for parameter ScanBy is invalid.", sb)
		}
	}
	queries, ok := in["MetricDataQueries"].(cbor.List)
	if !ok || len(queries) == 0 {
		return nil, missing("MetricDataQueries")
	}
	if len(queries) > maxQueries {
		return nil, invalid("The collection MetricDataQueries must not have a size greater than %d.", maxQueries)
	}
	seen := map[string]bool{}
	results := cbor.List{}
	total := int64(0)
	for _, q := range queries {
		qm, ok := q.(cbor.Map)
		if !ok {
			return nil, invalid("a MetricDataQuery is not a structure")
		}
		id, err := requiredString(qm, "Id", 1, 255)
		if err != nil {
			return nil, err
		}
		if !queryID.MatchString(id) {
			return nil, invalid("The value %s for parameter MetricDataQueries.member.Id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores.", id)
		}
		if seen[id] {
			return nil, invalid("The value %s for parameter MetricDataQueries.member.Id is not unique.", id)
		}
		seen[id] = true
		if _, has := qm["Expression"]; has {
			return nil, invalid("the fake does not evaluate metric math or Metrics Insights expressions")
		}
		ms, ok := qm["MetricStat"].(cbor.Map)
		if !ok {
			return nil, &apiError{http.StatusBadRequest, "InvalidParameterCombinationException", "InvalidParameterCombination",
				"Exactly one of MetricStat and Expression must be specified for query " + id}
		}
		res, n, err := s.metricStat(region, id, ms, start, end, ascending)
		if err != nil {
			return nil, err
		}
		total += n
		if rd, has := qm["ReturnData"]; has && rd == cbor.Bool(false) {
			continue
		}
		if label, has := qm["Label"]; has {
			res["Label"] = label
		}
		results = append(results, res)
	}
	if total > maxPoints {
		return nil, invalid("the result has %d data points, more than MaxDatapoints %d, and the fake does not paginate", total, maxPoints)
	}
	return cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}, nil
}

func requiredTime(m cbor.Map, key string) (time.Time, *apiError) {
	v, has := m[key]
	if !has {
		return time.Time{}, missing(key)
	}
	t, err := cbor.AsTime(v)
	if err != nil {
		return time.Time{}, invalid("The parameter %s is not a timestamp: %v", key, err)
	}
	return t.UTC(), nil
}

// metricStat aggregates one metric into period buckets.
func (s *Server) metricStat(region, id string, ms cbor.Map, start, end time.Time, ascending bool) (cbor.Map, int64, *apiError) {
	metric, ok := ms["Metric"].(cbor.Map)
	if !ok {
		return nil, 0, missing("MetricStat.Metric")
	}
	ns, err := requiredString(metric, "Namespace", 1, 255)
	if err != nil {
		return nil, 0, err
	}
	name, err := requiredString(metric, "MetricName", 1, 255)
	if err != nil {
		return nil, 0, err
	}
	dims, err := dimensions(metric)
	if err != nil {
		return nil, 0, err
	}
	pv, has := ms["Period"]
	if !has {
		return nil, 0, missing("MetricStat.Period")
	}
	period, cerr := cbor.AsInt64(pv)
	if cerr != nil || period < 1 || (period < 60 && !slices.Contains([]int64{1, 5, 10, 20, 30}, period)) || (period >= 60 && period%60 != 0) {
		return nil, 0, invalid("The value %v for parameter MetricStat.Period is invalid: 1, 5, 10, 20, 30, 60 or a multiple of 60.", pv)
	}
	stat, err := requiredString(ms, "Stat", 1, 255)
	if err != nil {
		return nil, 0, err
	}
	if !slices.Contains(validStats, stat) {
		return nil, 0, invalid("the fake computes %v only, not %s", validStats, stat)
	}
	unit := ""
	if u, has := ms["Unit"]; has {
		us, _ := u.(cbor.String)
		unit = string(us)
	}
	step := time.Duration(period) * time.Second
	// Start is rounded down: to the minute for periods of a minute or more,
	// to the period's division of a minute below that.
	from := start.Truncate(time.Minute)
	if period < 60 {
		from = start.Truncate(step)
	}
	highResFrom := s.now().Add(-highResAvailability)
	buckets := map[time.Time][]float64{}
	for _, p := range s.metrics[seriesKey(region, ns, name, dims)] {
		if unit != "" && p.Unit != unit {
			continue
		}
		// A standard-resolution point is stored at minute granularity; a
		// high-resolution one keeps its second for 3 hours only.
		at := p.At.Truncate(time.Second)
		if p.Resolution == 60 || period < 60 && p.At.Before(highResFrom) {
			at = p.At.Truncate(time.Minute)
		}
		if period < 60 && p.At.Before(highResFrom) {
			continue // no sub-minute data past 3 hours
		}
		if at.Before(from) || !at.Before(end) {
			continue
		}
		b := from.Add(at.Sub(from) / step * step)
		buckets[b] = append(buckets[b], p.Value)
	}
	times := make([]time.Time, 0, len(buckets))
	for t := range buckets {
		times = append(times, t)
	}
	sort.Slice(times, func(a, b int) bool {
		if ascending {
			return times[a].Before(times[b])
		}
		return times[a].After(times[b])
	})
	ts, vals := cbor.List{}, cbor.List{}
	for _, t := range times {
		ts = append(ts, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1e3)})
		vals = append(vals, cbor.Float64(aggregate(stat, buckets[t])))
	}
	return cbor.Map{
		"Id":         cbor.String(id),
		"Label":      cbor.String(name),
		"Timestamps": ts,
		"Values":     vals,
		"StatusCode": cbor.String("Complete"),
		"Messages":   cbor.List{},
	}, int64(len(times)), nil
}

func aggregate(stat string, vs []float64) float64 {
	switch stat {
	case "SampleCount":
		return float64(len(vs))
	case "Minimum":
		return slices.Min(vs)
	case "Maximum":
		return slices.Max(vs)
	}
	sum := 0.0
	for _, v := range vs {
		sum += v
	}
	if stat == "Average" {
		return sum / float64(len(vs))
	}
	return sum
}
