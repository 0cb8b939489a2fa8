package cloud

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// Error is an AWS API error: the code a client matches on (the CLI prints
// "An error occurred (Code) when calling the Op operation: Message"), the
// message, and the HTTP status the service answers with.
type Error struct {
	Code    string
	Message string
	Status  int  // 400 unless set
	Server  bool // a Receiver/Server fault (retried by clients); Sender otherwise
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status the wire answers with.
func (e *Error) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// errorf builds a 400 client error.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// notFound builds a 404 error (the REST services answer missing resources
// with 404; the query services with 400 or 404 as each documents).
func notFound(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusNotFound}
}

// conflict builds a 409 error (EKS's ResourceInUseException, Route 53's
// …InUse and …AlreadyExists).
func conflict(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusConflict}
}

// missingParameterCode is the code each service answers a missing
// required member with:
//   - query services (RDS, CloudWatch, Auto Scaling, STS) and Secrets
//     Manager, ECR: MissingParameter, listed in each API reference's
//     Common Errors (e.g.
//     https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html);
//   - Route 53: InvalidInput
//     (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHealthCheck.html#API_CreateHealthCheck_Errors);
//   - EKS: InvalidParameterException
//     (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html#API_CreateNodegroup_Errors).
func missingParameterCode(service string) string {
	switch service {
	case "route53":
		return "InvalidInput"
	case "eks":
		return "InvalidParameterException"
	default:
		return "MissingParameter"
	}
}

// validateRequired checks the members tagged `aws:"req"` of the input,
// recursively into nested structures that are present, the way the
// services refuse a request missing a required member (before any rule).
func validateRequired(op *Operation, in any) *Error {
	if name := firstMissing(reflect.ValueOf(in).Elem(), ""); name != "" {
		e := errorf(missingParameterCode(op.Service), "The request must contain the parameter %s", name)
		if op.Service == "eks" {
			e.Message = fmt.Sprintf("%s is required", name)
		}
		return e
	}
	return nil
}

func firstMissing(v reflect.Value, prefix string) string {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := memberName(f)
		fv := v.Field(i)
		if tagHas(f, "req") && isEmpty(fv) {
			return prefix + name
		}
		switch {
		case fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.Struct && !isLeafStruct(fv.Elem().Type()):
			if n := firstMissing(fv.Elem(), prefix+name+"."); n != "" {
				return n
			}
		case fv.Kind() == reflect.Slice:
			for j := range fv.Len() {
				e := fv.Index(j)
				if e.Kind() == reflect.Pointer {
					e = e.Elem()
				}
				if e.Kind() == reflect.Struct && !isLeafStruct(e.Type()) {
					if n := firstMissing(e, fmt.Sprintf("%s%s[%d].", prefix, name, j)); n != "" {
						return n
					}
				}
			}
		}
	}
	return ""
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map:
		return v.IsNil()
	case reflect.Slice:
		return v.IsNil()
	case reflect.String:
		return v.String() == ""
	default:
		return false
	}
}

// memberName is a field's AWS member name: its JSON name.
func memberName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// tagHas reports whether the field's aws tag lists opt.
func tagHas(f reflect.StructField, opt string) bool {
	for _, o := range strings.Split(f.Tag.Get("aws"), ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// isLeafStruct tells the scalar-like struct types (timestamps) from shapes.
func isLeafStruct(t reflect.Type) bool { return t == reflect.TypeFor[Timestamp]() }
