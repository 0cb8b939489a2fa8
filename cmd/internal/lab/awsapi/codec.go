package awsapi

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
)

// The codecs turn the cloud's shapes (Go structs, json names = AWS member
// names, `aws:"loc=…"` = list element names) into each protocol's wire
// form and back, by reflection, so every operation speaks every protocol
// its service uses without a hand-written parser per operation.

var timestampType = reflect.TypeFor[cloud.Timestamp]()

// member describes a struct field as the codecs see it.
type member struct {
	index      int
	name       string // AWS member name
	loc        string // list element name
	flat       bool
	uri, query string // REST bindings
}

func members(t reflect.Type) []member {
	var out []member
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m := member{index: i, name: name, loc: "member", uri: f.Tag.Get("uri"), query: f.Tag.Get("query")}
		for _, opt := range strings.Split(f.Tag.Get("aws"), ",") {
			if l, ok := strings.CutPrefix(opt, "loc="); ok {
				m.loc = l
			}
			if opt == "flat" {
				m.flat = true
			}
		}
		out = append(out, m)
	}
	return out
}

// node is a parsed query string or XML document: text and named children
// in document order.
type node struct {
	name string
	text string
	kids []*node
}

func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

func (n *node) ensure(name string) *node {
	if k := n.child(name); k != nil {
		return k
	}
	k := &node{name: name}
	n.kids = append(n.kids, k)
	return k
}

// style says how lists appear: in a query string each element is
// "Name.loc.N"; in XML each is a repeated <loc> inside <Name>.
type style int

const (
	queryStyle style = iota
	xmlStyle
)

// parseQuery turns a query protocol body into a tree; Action and Version
// are the caller's.
func parseQuery(values url.Values) *node {
	root := &node{}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Action" || k == "Version" {
			continue
		}
		cur := root
		for _, seg := range strings.Split(k, ".") {
			cur = cur.ensure(seg)
		}
		cur.text = values.Get(k)
	}
	return root
}

// parseXML reads an XML document into a tree rooted at its element.
func parseXML(r io.Reader) (*node, error) {
	dec := xml.NewDecoder(r)
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("empty XML document")
	}
	return root, nil
}

// decodeTree fills the struct v from n, refusing members the shape does
// not have.
func decodeTree(n *node, v reflect.Value, st style, path string) error {
	t := v.Type()
	byName := map[string]member{}
	for _, m := range members(t) {
		if m.uri == "" && m.query == "" {
			byName[m.name] = m
		}
	}
	for _, k := range n.kids {
		m, ok := byName[k.name]
		if !ok {
			return fmt.Errorf("unrecognized parameter %s%s", path, k.name)
		}
		if err := decodeValue(k, n, m, v.Field(m.index), st, path+k.name+"."); err != nil {
			return err
		}
	}
	return nil
}

func decodeValue(k, parent *node, m member, f reflect.Value, st style, path string) error {
	t := f.Type()
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		var elems []*node
		switch {
		case st == xmlStyle && m.flat:
			elems = parent.children(k.name)
		case st == xmlStyle:
			elems = k.children(m.loc)
		default:
			if k.text == "" && len(k.kids) == 0 {
				break // "Name=" is the query protocol's empty list
			}
			container := k.child(m.loc)
			if container == nil {
				return fmt.Errorf("parameter %s: expected %s%s.N", strings.TrimSuffix(path, "."), path, m.loc)
			}
			sorted := append([]*node(nil), container.kids...)
			sort.Slice(sorted, func(i, j int) bool {
				a, _ := strconv.Atoi(sorted[i].name)
				b, _ := strconv.Atoi(sorted[j].name)
				return a < b
			})
			elems = sorted
		}
		s := reflect.MakeSlice(t, 0, len(elems))
		for _, e := range elems {
			ev := reflect.New(t.Elem()).Elem()
			if err := decodeElem(e, ev, st, path); err != nil {
				return err
			}
			s = reflect.Append(s, ev)
		}
		f.Set(s)
		return nil
	case t.Kind() == reflect.Map:
		return fmt.Errorf("parameter %s: maps are not supported on this protocol", strings.TrimSuffix(path, "."))
	default:
		return decodeElem(k, f, st, path)
	}
}

func decodeElem(n *node, v reflect.Value, st style, path string) error {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := decodeElem(n, p.Elem(), st, path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if t.Kind() == reflect.Struct && t != timestampType {
		return decodeTree(n, v, st, path)
	}
	return setScalar(v, strings.TrimSpace(n.text), strings.TrimSuffix(path, "."))
}

// setScalar parses text into a scalar field.
func setScalar(v reflect.Value, text, param string) error {
	bad := func(err error) error { return fmt.Errorf("parameter %s: invalid value %q: %v", param, text, err) }
	switch {
	case v.Type() == timestampType:
		ts, err := cloud.ParseTimestamp(text)
		if err != nil {
			return bad(err)
		}
		v.Set(reflect.ValueOf(cloud.Timestamp{Time: ts}))
	case v.Kind() == reflect.String:
		v.SetString(text)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return bad(err)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return bad(err)
		}
		v.SetInt(n)
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return bad(err)
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return bad(err)
		}
		v.SetBytes(b)
	default:
		return fmt.Errorf("parameter %s: the lab cannot decode %s", param, v.Type())
	}
	return nil
}

// encodeXML writes v's members as XML children (v is a struct).
func encodeXML(b *bytes.Buffer, v reflect.Value) {
	for _, m := range members(v.Type()) {
		f := v.Field(m.index)
		if m.uri != "" || m.query != "" {
			continue
		}
		encodeXMLField(b, m, f)
	}
}

func encodeXMLField(b *bytes.Buffer, m member, f reflect.Value) {
	switch {
	case f.Kind() == reflect.Pointer || f.Kind() == reflect.Interface:
		if f.IsNil() {
			return
		}
		encodeXMLField(b, m, f.Elem())
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() != reflect.Uint8:
		if f.IsNil() {
			return
		}
		if !m.flat {
			fmt.Fprintf(b, "<%s>", m.name)
		}
		for i := range f.Len() {
			encodeXMLElem(b, m.loc, f.Index(i))
		}
		if !m.flat {
			fmt.Fprintf(b, "</%s>", m.name)
		}
	case f.Kind() == reflect.Map:
		if f.IsNil() {
			return
		}
		fmt.Fprintf(b, "<%s>", m.name)
		keys := f.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			b.WriteString("<entry><key>")
			xmlText(b, k.String())
			b.WriteString("</key>")
			encodeXMLElem(b, "value", f.MapIndex(k))
			b.WriteString("</entry>")
		}
		fmt.Fprintf(b, "</%s>", m.name)
	default:
		encodeXMLElem(b, m.name, f)
	}
}

func encodeXMLElem(b *bytes.Buffer, name string, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	fmt.Fprintf(b, "<%s>", name)
	switch {
	case v.Type() == timestampType:
		b.WriteString(v.Interface().(cloud.Timestamp).ISO8601())
	case v.Kind() == reflect.Struct:
		encodeXML(b, v)
	case v.Kind() == reflect.String:
		xmlText(b, v.String())
	case v.Kind() == reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case v.Kind() == reflect.Float64:
		b.WriteString(formatFloat(v.Float()))
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
	}
	fmt.Fprintf(b, "</%s>", name)
}

// formatFloat writes a double as AWS's XML services do (1.0, 0.25).
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") && !math.IsInf(f, 0) && !math.IsNaN(f) {
		s += ".0"
	}
	return s
}

func xmlText(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }

// encodeCBOR renders a shape as a CBOR map, timestamps as tag 1 (epoch
// seconds), as Smithy RPC v2 CBOR does
// (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html#shape-serialization).
func encodeCBOR(v reflect.Value) cbor.Value {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return &cbor.Nil{}
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == timestampType:
		t := v.Interface().(cloud.Timestamp)
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixNano()) / 1e9)}
	case v.Kind() == reflect.Struct:
		m := cbor.Map{}
		for _, mem := range members(v.Type()) {
			f := v.Field(mem.index)
			if (f.Kind() == reflect.Pointer || f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.IsNil() {
				continue
			}
			m[mem.name] = encodeCBOR(f)
		}
		return m
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		return cbor.Slice(v.Bytes())
	case v.Kind() == reflect.Slice:
		l := make(cbor.List, 0, v.Len())
		for i := range v.Len() {
			l = append(l, encodeCBOR(v.Index(i)))
		}
		return l
	case v.Kind() == reflect.Map:
		m := cbor.Map{}
		for _, k := range v.MapKeys() {
			m[k.String()] = encodeCBOR(v.MapIndex(k))
		}
		return m
	case v.Kind() == reflect.String:
		return cbor.String(v.String())
	case v.Kind() == reflect.Bool:
		return cbor.Bool(v.Bool())
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		if n := v.Int(); n < 0 {
			return cbor.NegInt(uint64(-n))
		}
		return cbor.Uint(uint64(v.Int()))
	case v.Kind() == reflect.Float64:
		return cbor.Float64(v.Float())
	}
	return &cbor.Nil{}
}

// decodeCBOR fills v from a CBOR value, refusing unknown members.
func decodeCBOR(cv cbor.Value, v reflect.Value, path string) error {
	if _, ok := cv.(*cbor.Nil); ok {
		return nil
	}
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		if err := decodeCBOR(cv, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	bad := func() error { return fmt.Errorf("member %s: unexpected CBOR %T for %s", path, cv, v.Type()) }
	switch {
	case v.Type() == timestampType:
		tm, err := cbor.AsTime(cv)
		if err != nil {
			return fmt.Errorf("member %s: %w", path, err)
		}
		v.Set(reflect.ValueOf(cloud.Timestamp{Time: tm.UTC()}))
	case v.Kind() == reflect.Struct:
		m, ok := cv.(cbor.Map)
		if !ok {
			return bad()
		}
		byName := map[string]member{}
		for _, mem := range members(v.Type()) {
			byName[mem.name] = mem
		}
		for k, e := range m {
			mem, ok := byName[k]
			if !ok {
				return fmt.Errorf("unrecognized member %s%s", path, k)
			}
			if err := decodeCBOR(e, v.Field(mem.index), path+k+"."); err != nil {
				return err
			}
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		s, ok := cv.(cbor.Slice)
		if !ok {
			return bad()
		}
		v.SetBytes([]byte(s))
	case v.Kind() == reflect.Slice:
		l, ok := cv.(cbor.List)
		if !ok {
			return bad()
		}
		s := reflect.MakeSlice(v.Type(), len(l), len(l))
		for i, e := range l {
			if err := decodeCBOR(e, s.Index(i), fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
		v.Set(s)
	case v.Kind() == reflect.Map:
		m, ok := cv.(cbor.Map)
		if !ok {
			return bad()
		}
		out := reflect.MakeMapWithSize(v.Type(), len(m))
		for k, e := range m {
			ev := reflect.New(v.Type().Elem()).Elem()
			if err := decodeCBOR(e, ev, path+k+"."); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
		v.Set(out)
	case v.Kind() == reflect.String:
		s, ok := cv.(cbor.String)
		if !ok {
			return bad()
		}
		v.SetString(string(s))
	case v.Kind() == reflect.Bool:
		b, ok := cv.(cbor.Bool)
		if !ok {
			return bad()
		}
		v.SetBool(bool(b))
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := cbor.AsInt64(cv)
		if err != nil {
			return fmt.Errorf("member %s: %w", path, err)
		}
		v.SetInt(n)
	case v.Kind() == reflect.Float64:
		f, err := cbor.AsFloat64(cv)
		if err != nil {
			return fmt.Errorf("member %s: %w", path, err)
		}
		v.SetFloat(f)
	default:
		return bad()
	}
	return nil
}

// now is the clock for request ids and dates (a variable for tests).
var now = time.Now
