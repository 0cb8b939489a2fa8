package awsapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
)

// route binds a REST method and path to an operation; {name} segments fill
// the input members tagged `uri:"name"`.
type route struct {
	method, path, op string
	status           int
}

// route53Routes are Route 53's (botocore route53/2013-04-01/service-2.json,
// "http" of each operation).
var route53Routes = []route{
	{"POST", "/2013-04-01/healthcheck", "CreateHealthCheck", http.StatusCreated},
	{"GET", "/2013-04-01/healthcheck", "ListHealthChecks", http.StatusOK},
	{"GET", "/2013-04-01/healthcheck/{HealthCheckId}", "GetHealthCheck", http.StatusOK},
	{"POST", "/2013-04-01/healthcheck/{HealthCheckId}", "UpdateHealthCheck", http.StatusOK},
	{"DELETE", "/2013-04-01/healthcheck/{HealthCheckId}", "DeleteHealthCheck", http.StatusOK},
	{"GET", "/2013-04-01/healthcheck/{HealthCheckId}/status", "GetHealthCheckStatus", http.StatusOK},
	{"POST", "/2013-04-01/hostedzone", "CreateHostedZone", http.StatusCreated},
	{"GET", "/2013-04-01/hostedzone", "ListHostedZones", http.StatusOK},
	{"GET", "/2013-04-01/hostedzonesbyname", "ListHostedZonesByName", http.StatusOK},
	{"GET", "/2013-04-01/hostedzone/{Id}", "GetHostedZone", http.StatusOK},
	{"POST", "/2013-04-01/hostedzone/{Id}/rrset", "ChangeResourceRecordSets", http.StatusOK},
	{"GET", "/2013-04-01/hostedzone/{Id}/rrset", "ListResourceRecordSets", http.StatusOK},
	{"GET", "/2013-04-01/change/{Id}", "GetChange", http.StatusOK},
	{"GET", "/2013-04-01/tags/{ResourceType}/{ResourceId}", "ListTagsForResource", http.StatusOK},
	{"POST", "/2013-04-01/tags/{ResourceType}/{ResourceId}", "ChangeTagsForResource", http.StatusOK},
}

// eksRoutes are EKS's (botocore eks/2017-11-01/service-2.json).
var eksRoutes = []route{
	{"POST", "/clusters", "CreateCluster", http.StatusOK},
	{"GET", "/clusters/{name}", "DescribeCluster", http.StatusOK},
	{"DELETE", "/clusters/{name}", "DeleteCluster", http.StatusOK},
	{"POST", "/clusters/{name}/node-groups", "CreateNodegroup", http.StatusOK},
	{"GET", "/clusters/{name}/node-groups", "ListNodegroups", http.StatusOK},
	{"GET", "/clusters/{name}/node-groups/{nodegroupName}", "DescribeNodegroup", http.StatusOK},
	{"DELETE", "/clusters/{name}/node-groups/{nodegroupName}", "DeleteNodegroup", http.StatusOK},
	{"POST", "/clusters/{name}/node-groups/{nodegroupName}/update-config", "UpdateNodegroupConfig", http.StatusOK},
	{"GET", "/clusters/{name}/updates/{updateId}", "DescribeUpdate", http.StatusOK},
}

// match returns the route and its path parameters. A trailing slash is
// ignored (ChangeResourceRecordSets' model path ends in one).
func match(routes []route, method, escapedPath string) (route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	for _, rt := range routes {
		if rt.method != method {
			continue
		}
		want := strings.Split(strings.Trim(rt.path, "/"), "/")
		if len(want) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, w := range want {
			if strings.HasPrefix(w, "{") {
				v, err := url.PathUnescape(segs[i])
				if err != nil {
					ok = false
					break
				}
				params[strings.Trim(w, "{}")] = v
			} else if w != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params, true
		}
	}
	return route{}, nil, false
}

// serveREST answers REST-XML (Route 53) and REST-JSON (EKS).
func (q *request) serveREST(routes []route) {
	rt, params, ok := match(routes, q.r.Method, q.r.URL.EscapedPath())
	if !ok {
		q.fail(&cloud.Error{Code: "UnknownOperationException", Message: fmt.Sprintf("the lab has no %s %s for %s", q.r.Method, q.r.URL.Path, q.service), Status: http.StatusNotFound})
		return
	}
	if !q.lookup(rt.op) {
		return
	}
	in := q.op.NewInput()
	iv := reflect.ValueOf(in).Elem()
	query := q.r.URL.Query()
	for _, m := range members(iv.Type()) {
		var text string
		var have bool
		switch {
		case m.uri != "":
			text, have = params[m.uri]
		case m.query != "":
			have = query.Has(m.query)
			text = query.Get(m.query)
		}
		if !have {
			continue
		}
		f := iv.Field(m.index)
		if f.Kind() == reflect.Pointer {
			f.Set(reflect.New(f.Type().Elem()))
			f = f.Elem()
		}
		if err := setScalar(f, text, m.name); err != nil {
			q.fail(&cloud.Error{Code: "InvalidInput", Message: err.Error()})
			return
		}
	}
	if len(bytes.TrimSpace(q.body)) > 0 {
		var err error
		if q.proto == protoRESTXML {
			var root *node
			if root, err = parseXML(bytes.NewReader(q.body)); err == nil {
				err = decodeTree(root, iv, xmlStyle, "")
			}
		} else {
			err = decodeJSON(q.body, in)
		}
		if err != nil {
			code := "InvalidInput"
			if q.proto == protoRESTJSON {
				code = "InvalidParameterException"
			}
			q.fail(&cloud.Error{Code: code, Message: err.Error()})
			return
		}
	}
	out := q.run(in)
	if out == nil {
		return
	}
	if q.proto == protoRESTJSON {
		q.writeJSON(rt.status, out)
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0"?>`+"\n"+`<%sResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">`, rt.op)
	encodeXML(&b, reflect.ValueOf(out).Elem())
	fmt.Fprintf(&b, "</%sResponse>", rt.op)
	q.w.Header().Set("Content-Type", "text/xml")
	q.w.WriteHeader(rt.status)
	_, _ = q.w.Write(b.Bytes())
}
