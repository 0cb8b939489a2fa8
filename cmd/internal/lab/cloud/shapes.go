package cloud

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Shapes are Go structs whose JSON names are the AWS API's member names,
// so that the §7 RPC is the API's input and output shapes as JSON. Struct
// tags the codecs read besides json:
//
//	aws:"req"           a required member (validateRequired)
//	aws:"loc=Name"      for a list: its element name in XML and in query
//	                    strings (default "member"), as the API model's
//	                    member locationName
//	aws:"flat"          a flattened list (elements repeat without a wrapper)
//
// Pointers mark optional scalars, so that "absent" and "zero" stay apart as
// they do on the wire (the CLI prints None for an absent member).

// Timestamp is a point in time. In JSON (the §7 RPC and the JSON wire
// protocols) it is epoch seconds with a fraction, as AWS's JSON protocols
// send timestamps by default
// (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#shape-serialization);
// the XML and query codecs write ISO 8601.
type Timestamp struct{ time.Time }

// At wraps a time for a shape.
func At(t time.Time) *Timestamp { return &Timestamp{t.UTC()} }

// MarshalJSON writes epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	secs := float64(t.UnixNano()) / 1e9
	return []byte(strconv.FormatFloat(math.Round(secs*1000)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds, or an ISO 8601 string (which the
// JSON protocols also accept for input).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		sec, frac := math.Modf(f)
		t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: want epoch seconds or ISO 8601, got %s", b)
	}
	parsed, err := ParseTimestamp(s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// ParseTimestamp reads the timestamp forms the CLI sends: ISO 8601 with or
// without fraction and zone, or epoch seconds.
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %q: not ISO 8601 nor epoch seconds", s)
}

// ISO8601 is the XML form, with milliseconds as AWS's XML services write.
func (t Timestamp) ISO8601() string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Tag is a resource tag (RDS, CloudWatch, Secrets Manager, ECR and Route 53
// all use Key/Value).
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func ptr[T any](v T) *T { return &v }

// deref returns *p or the zero value.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
