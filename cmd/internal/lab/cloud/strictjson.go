package cloud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// DecodeJSON decodes an input shape from JSON as AWS's JSON protocols do:
// member names match exactly (encoding/json alone would take
// "DbInstanceIdentifier" for DBInstanceIdentifier) and unknown members are
// refused, so a misspelt member fails instead of being ignored.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var raw any
	if err := json.Unmarshal(body, &raw); err != nil {
		return err
	}
	if err := checkMembers(raw, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// checkMembers walks a decoded JSON value against the shape type.
func checkMembers(raw any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := raw.(type) {
	case map[string]any:
		switch {
		case t.Kind() == reflect.Map:
			for k, e := range v {
				if err := checkMembers(e, t.Elem(), path+k+"."); err != nil {
					return err
				}
			}
		case t.Kind() == reflect.Struct && !isLeafStruct(t):
			byName := map[string]reflect.StructField{}
			for i := range t.NumField() {
				f := t.Field(i)
				if f.IsExported() {
					byName[memberName(f)] = f
				}
			}
			for k, e := range v {
				f, ok := byName[k]
				if !ok {
					return fmt.Errorf("unknown member %s%s", path, k)
				}
				if err := checkMembers(e, f.Type, path+k+"."); err != nil {
					return err
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range v {
				if err := checkMembers(e, t.Elem(), fmt.Sprintf("%s%d.", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
