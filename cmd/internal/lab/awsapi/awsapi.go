// Package awsapi is the lab's AWS endpoint: one HTTP server that speaks
// each service's real wire protocol, so that the real AWS CLI v2 (Debian's
// awscli 2.9.19, through the lab's aws wrapper) and the AWS SDK for Go v2
// (the DR agent) talk to the lab cloud as they talk to AWS.
//
// Requests are routed by the SigV4 credential scope of their Authorization
// header (…/<region>/<service>/aws4_request), the way AWS's endpoints are
// chosen by region and service. Protocols, as the clients send them:
//
//   - query (RDS 2014-10-31, CloudWatch 2010-08-01, Auto Scaling
//     2011-01-01, STS 2011-06-15): form-encoded POST with Action and
//     Version, XML responses wrapped in <OpResponse><OpResult>, errors as
//     <ErrorResponse><Error><Type/><Code/><Message/></Error>;
//   - Smithy RPC v2 CBOR (CloudWatch, as aws-sdk-go-v2/service/cloudwatch
//     v1.75.x sends it: POST /service/GraniteServiceVersion20100801/operation/<Op>,
//     smithy-protocol: rpc-v2-cbor; its error carries __type and the
//     query-compatible x-amzn-query-error header);
//   - JSON 1.0/1.1 (Secrets Manager, ECR; CloudWatch's JSON 1.0): POST /
//     with X-Amz-Target, errors {"__type": Code, "message": …};
//   - REST-XML (Route 53 2013-04-01) and REST-JSON (EKS 2017-11-01): the
//     routes of routes.go, errors in each protocol's shape.
//
// Every operation is the cloud's (cloud.Lookup, cloud.Call), so the rules,
// the state and the timings are the ones the RPC serves too. The endpoint
// checks the access key id of the credential (the lab's own) but not the
// signature: the clients sign correctly, and checking would test them,
// not the runbook.
package awsapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
)

// AccessKeyID and SecretAccessKey are the operator's credentials (the aws
// wrapper the runbook runs); AgentAccessKeyID the DR agents' and
// LabAccessKeyID the lab's own reads. The endpoint accepts only these, with
// the one secret, and logs each call under its caller, as CloudTrail's
// userIdentity names the access key.
const (
	AccessKeyID      = "AKIADRLABLOCAL000000"
	AgentAccessKeyID = "AKIADRLABAGENT000000"
	LabAccessKeyID   = "AKIADRLABHARNESS0000"
	SecretAccessKey  = "drlab/local/secret/not-a-real-key"
)

// callers maps an access key to the caller it stands for.
var callers = map[string]string{
	AccessKeyID:      cloud.CallerOperator,
	AgentAccessKeyID: cloud.CallerAgent,
	LabAccessKeyID:   cloud.CallerLab,
}

// Handler serves the AWS wire protocols for c.
func Handler(c *cloud.Cloud) http.Handler {
	return &server{cloud: c}
}

type server struct {
	cloud *cloud.Cloud
}

// credentialScope matches Credential=AKID/DATE/REGION/SERVICE/aws4_request.
var credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// queryServices answer the query protocol; xmlNS is each one's namespace.
var queryServices = map[string]struct{ version, xmlNS string }{
	"rds":         {"2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/"},
	"monitoring":  {"2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/"},
	"autoscaling": {"2011-01-01", "http://autoscaling.amazonaws.com/doc/2011-01-01/"},
	"sts":         {"2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/"},
}

// jsonTargets maps an X-Amz-Target prefix to its service.
var jsonTargets = map[string]string{
	"secretsmanager":                       "secretsmanager",
	"AmazonEC2ContainerRegistry_V20150921": "ecr",
	"GraniteServiceVersion20100801":        "monitoring",
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	w.Header().Set("x-amzn-RequestId", requestID)
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		// Unsigned requests: "MissingAuthenticationToken" (403).
		writeQueryError(w, "", requestID, &cloud.Error{Code: "MissingAuthenticationToken", Message: "Missing Authentication Token", Status: http.StatusForbidden})
		return
	}
	akid, region, service := m[1], m[3], m[4]
	body, err := readBody(r)
	if err != nil {
		writeQueryError(w, "", requestID, &cloud.Error{Code: "SerializationException", Message: err.Error()})
		return
	}
	caller, known := callers[akid]
	r = r.WithContext(cloud.WithCaller(r.Context(), caller))
	call := &request{s: s, w: w, r: r, body: body, region: region, service: service, requestID: requestID}
	if !known {
		call.fail(&cloud.Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden})
		return
	}
	switch {
	case r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor":
		call.proto = protoCBOR
		call.serveCBOR()
	case r.Header.Get("X-Amz-Target") != "":
		call.proto = protoJSON
		call.serveJSON()
	case service == "route53":
		call.proto = protoRESTXML
		call.serveREST(route53Routes)
	case service == "eks":
		call.proto = protoRESTJSON
		call.serveREST(eksRoutes)
	default:
		if _, ok := queryServices[service]; ok {
			call.proto = protoQuery
			call.serveQuery()
			return
		}
		call.proto = protoQuery
		call.fail(&cloud.Error{Code: "UnknownService", Message: fmt.Sprintf("the lab has no %s endpoint", service), Status: http.StatusNotFound})
	}
}

// readBody reads the request body, gunzipping it if the client compressed
// it (the SDK compresses large PutMetricData bodies:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html,
// "requestCompression").
func readBody(r *http.Request) ([]byte, error) {
	var in io.Reader = io.LimitReader(r.Body, 32<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		in = zr
	}
	return io.ReadAll(in)
}

type protocol int

const (
	protoQuery protocol = iota
	protoJSON
	protoCBOR
	protoRESTXML
	protoRESTJSON
)

// request is one call being served.
type request struct {
	s               *server
	w               http.ResponseWriter
	r               *http.Request
	body            []byte
	region, service string
	requestID       string
	proto           protocol
	op              *cloud.Operation
	jsonVersion     string
}

// run calls the operation and returns its output, or answers the error
// itself and returns nil.
func (q *request) run(in any) any {
	out, err := q.s.cloud.Call(q.r.Context(), q.op, q.region, "wire", in)
	if err == nil {
		return out
	}
	if errors.Is(err, cloud.ErrUnreachable) {
		dropConnection(q.w)
		return nil
	}
	var ae *cloud.Error
	if !errors.As(err, &ae) {
		ae = &cloud.Error{Code: "InternalFailure", Message: err.Error(), Status: http.StatusInternalServerError, Server: true}
	}
	q.fail(ae)
	return nil
}

// fail answers an error in the request's protocol.
func (q *request) fail(e *cloud.Error) {
	switch q.proto {
	case protoQuery:
		writeQueryError(q.w, q.service, q.requestID, e)
	case protoRESTXML:
		writeRESTXMLError(q.w, q.requestID, e)
	case protoJSON, protoRESTJSON:
		q.writeJSONError(e)
	case protoCBOR:
		writeCBORError(q.w, e)
	}
}

func (q *request) lookup(name string) bool {
	op, ok := q.s.cloud.Lookup(q.service, name)
	if !ok {
		code := "InvalidAction"
		if q.proto != protoQuery {
			code = "UnknownOperationException"
		}
		q.fail(&cloud.Error{Code: code, Message: fmt.Sprintf("The action %s is not valid for this web service (the lab does not serve it).", name)})
		return false
	}
	q.op = op
	return true
}

// serveQuery answers the query protocol.
func (q *request) serveQuery() {
	values, err := url.ParseQuery(string(q.body))
	if err != nil {
		q.fail(&cloud.Error{Code: "MalformedQueryString", Message: err.Error()})
		return
	}
	action := values.Get("Action")
	svc := queryServices[q.service]
	if v := values.Get("Version"); v != svc.version {
		q.fail(&cloud.Error{Code: "InvalidAction", Message: fmt.Sprintf("Version %q is not %s", v, svc.version)})
		return
	}
	if !q.lookup(action) {
		return
	}
	in := q.op.NewInput()
	if err := decodeTree(parseQuery(values), reflect.ValueOf(in).Elem(), queryStyle, ""); err != nil {
		q.fail(&cloud.Error{Code: "ValidationError", Message: err.Error()})
		return
	}
	out := q.run(in)
	if out == nil {
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="%s">`, action, svc.xmlNS)
	if ov := reflect.ValueOf(out).Elem(); ov.NumField() > 0 {
		fmt.Fprintf(&b, "<%sResult>", action)
		encodeXML(&b, ov)
		fmt.Fprintf(&b, "</%sResult>", action)
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", q.requestID, action)
	q.w.Header().Set("Content-Type", "text/xml")
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(b.Bytes())
}

func writeQueryError(w http.ResponseWriter, service, requestID string, e *cloud.Error) {
	typ := "Sender"
	if e.Server {
		typ = "Receiver"
	}
	var b bytes.Buffer
	ns := queryServices[service].xmlNS
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, ns, typ)
	xmlText(&b, e.Code)
	b.WriteString("</Code><Message>")
	xmlText(&b, e.Message)
	fmt.Fprintf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", requestID)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(b.Bytes())
}

// serveJSON answers the JSON protocols: the operation is the X-Amz-Target's
// suffix.
func (q *request) serveJSON() {
	prefix, name, ok := strings.Cut(q.r.Header.Get("X-Amz-Target"), ".")
	q.jsonVersion = strings.TrimPrefix(q.r.Header.Get("Content-Type"), "application/x-amz-json-")
	if svc, known := jsonTargets[prefix]; !ok || !known || svc != q.service {
		q.fail(&cloud.Error{Code: "UnknownOperationException", Message: fmt.Sprintf("unknown target %s for %s", q.r.Header.Get("X-Amz-Target"), q.service)})
		return
	}
	if !q.lookup(name) {
		return
	}
	in := q.op.NewInput()
	if err := decodeJSON(q.body, in); err != nil {
		q.fail(&cloud.Error{Code: "SerializationException", Message: err.Error()})
		return
	}
	out := q.run(in)
	if out == nil {
		return
	}
	q.writeJSON(http.StatusOK, out)
}

func decodeJSON(body []byte, in any) error { return cloud.DecodeJSON(body, in) }

func (q *request) writeJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		q.fail(&cloud.Error{Code: "InternalFailure", Message: err.Error(), Status: 500, Server: true})
		return
	}
	ct := "application/json"
	if q.proto == protoJSON {
		ct = "application/x-amz-json-" + q.jsonVersion
	}
	q.w.Header().Set("Content-Type", ct)
	q.w.WriteHeader(status)
	_, _ = q.w.Write(b)
}

// writeJSONError answers in the JSON protocols' error shape: the code in
// __type (JSON 1.x) or the x-amzn-ErrorType header (REST-JSON), and the
// message (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization).
func (q *request) writeJSONError(e *cloud.Error) {
	q.w.Header().Set("x-amzn-ErrorType", e.Code)
	body := map[string]string{"message": e.Message}
	if q.proto == protoJSON {
		body["__type"] = e.Code
		q.w.Header().Set("Content-Type", "application/x-amz-json-"+q.jsonVersion)
	} else {
		q.w.Header().Set("Content-Type", "application/json")
	}
	b, _ := json.Marshal(body)
	q.w.WriteHeader(e.HTTPStatus())
	_, _ = q.w.Write(b)
}

// serveCBOR answers Smithy RPC v2 CBOR (the SDK's CloudWatch client).
func (q *request) serveCBOR() {
	name, ok := strings.CutPrefix(q.r.URL.Path, "/service/GraniteServiceVersion20100801/operation/")
	if !ok || q.service != "monitoring" {
		q.fail(&cloud.Error{Code: "UnknownOperationException", Message: "unknown rpc-v2-cbor path " + q.r.URL.Path})
		return
	}
	if !q.lookup(name) {
		return
	}
	in := q.op.NewInput()
	if len(q.body) > 0 {
		v, err := cbor.Decode(q.body)
		if err == nil {
			err = decodeCBOR(v, reflect.ValueOf(in).Elem(), "")
		}
		if err != nil {
			q.fail(&cloud.Error{Code: "SerializationException", Message: err.Error()})
			return
		}
	}
	out := q.run(in)
	if out == nil {
		return
	}
	q.w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	q.w.Header().Set("Content-Type", "application/cbor")
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(cbor.Encode(encodeCBOR(reflect.ValueOf(out))))
}

// cborErrorShapes are CloudWatch's error shape names for its query error
// codes (aws-sdk-go-v2/service/cloudwatch@v1.75.7 schemas: the
// awsQueryError trait of each shape).
var cborErrorShapes = map[string]string{
	"InvalidParameterValue":       "InvalidParameterValueException",
	"InvalidParameterCombination": "InvalidParameterCombinationException",
	"MissingParameter":            "MissingRequiredParameterException",
	"ResourceNotFound":            "ResourceNotFound",
	"LimitExceeded":               "LimitExceededFault",
	"InternalServiceError":        "InternalServiceFault",
	"InvalidFormat":               "InvalidFormatFault",
}

// writeCBORError answers with the error shape's name in __type and, as
// CloudWatch is query-compatible, the query code in x-amzn-query-error
// (smithy-go@v1.28.9 transport/http/protocol/rpcv2/rpcv2.go deserializeError).
func writeCBORError(w http.ResponseWriter, e *cloud.Error) {
	shape := e.Code
	if s, ok := cborErrorShapes[e.Code]; ok {
		shape = s
	}
	fault := "Sender"
	if e.Server {
		fault = "Receiver"
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-Query-Error", e.Code+";"+fault)
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + shape), "message": cbor.String(e.Message)}))
}

func writeRESTXMLError(w http.ResponseWriter, requestID string, e *cloud.Error) {
	typ := "Sender"
	if e.Server {
		typ = "Receiver"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0"?>`+"\n"+`<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>%s</Type><Code>`, typ)
	xmlText(&b, e.Code)
	b.WriteString("</Code><Message>")
	xmlText(&b, e.Message)
	fmt.Fprintf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", requestID)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(b.Bytes())
}

// dropConnection closes the client's connection without an answer: the
// region's endpoint is unreachable.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func newRequestID() string {
	var b [16]byte
	n := now().UnixNano()
	for i := range b {
		b[i] = byte(n >> (8 * (i % 8)))
		n = n*6364136223846793005 + 1442695040888963407
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
