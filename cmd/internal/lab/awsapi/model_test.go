package awsapi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
)

// botocoreData is where Debian's awscli 2.9.19 keeps the service models
// the CLI serializes and parses with.
const botocoreData = "/usr/lib/python3/dist-packages/awscli/botocore/data"

// modelDirs are the model directories of the wire-served services.
var modelDirs = map[string]string{
	"rds": "rds/2014-10-31", "monitoring": "cloudwatch/2010-08-01", "autoscaling": "autoscaling/2011-01-01",
	"sts": "sts/2011-06-15", "route53": "route53/2013-04-01", "eks": "eks/2017-11-01",
	"secretsmanager": "secretsmanager/2017-10-17", "ecr": "ecr/2015-09-21",
}

// newerThanTheCLI are members and operations AWS added after awscli
// 2.9.19's models (January 2023): the providers send them, the CLI does
// not know them. Each is in the current API reference.
var newerThanTheCLI = map[string]bool{
	"ecr.CreateRepositoryCreationTemplate": true, "ecr.UpdateRepositoryCreationTemplate": true,
	"ecr.DescribeRepositoryCreationTemplates": true, "ecr.DeleteRepositoryCreationTemplate": true,
	"EKSCluster.accessConfig": true, "EKSCluster.upgradePolicy": true, "CreateClusterInput.accessConfig": true,
	"CreateClusterInput.upgradePolicy": true, "CreateClusterInput.bootstrapSelfManagedAddons": true,
	"Nodegroup.nodeRepairConfig": true, "CreateNodegroupInput.nodeRepairConfig": true, "UpdateNodegroupConfigInput.nodeRepairConfig": true,
	"PutMetricDataInput.StrictEntityValidation": true,
	"DBInstance.DedicatedLogVolume":             true,
}

type shapeModel struct {
	Type          string                 `json:"type"`
	Members       map[string]memberModel `json:"members"`
	Member        *memberModel           `json:"member"`
	Flattened     bool                   `json:"flattened"`
	ResultWrapper string                 `json:"resultWrapper"`
}

type memberModel struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
	Flattened    bool   `json:"flattened"`
}

type serviceModel struct {
	Metadata struct {
		Protocol string `json:"protocol"`
	} `json:"metadata"`
	Operations map[string]struct {
		Input  *memberModel `json:"input"`
		Output *memberModel `json:"output"`
	} `json:"operations"`
	Shapes map[string]shapeModel `json:"shapes"`
}

// The shapes' member names, list element names and REST bindings are the
// ones the real CLI uses: every operation the wire serves is checked
// against the CLI's own model, member by member.
func TestShapesMatchTheCLIsModels(t *testing.T) {
	if _, err := os.Stat(botocoreData); err != nil {
		t.Skipf("no awscli models (CI installs Debian's awscli): %v", err)
	}
	c, err := cloud.New(cloud.Options{Regions: []string{"eu-west-1"}, Scale: 1, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	models := map[string]*serviceModel{}
	for svc, dir := range modelDirs {
		raw, err := os.ReadFile(filepath.Join(botocoreData, dir, "service-2.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m serviceModel
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		models[svc] = &m
	}
	checked := 0
	for _, op := range c.Operations() {
		m, ok := models[op.Service]
		if !ok || op.Name == "LabPutImage" || newerThanTheCLI[op.Service+"."+op.Name] {
			continue
		}
		om, ok := m.Operations[op.Name]
		if !ok {
			t.Errorf("%s.%s is not in the CLI's model", op.Service, op.Name)
			continue
		}
		xml := m.Metadata.Protocol == "query" || m.Metadata.Protocol == "rest-xml"
		if om.Input != nil {
			compareShape(t, m, om.Input.Shape, op.InputType(), xml, op.Service+"."+op.Name+" input")
		}
		if om.Output != nil {
			compareShape(t, m, om.Output.Shape, op.OutputType(), xml, op.Service+"."+op.Name+" output")
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("only %d operations checked", checked)
	}
}

func compareShape(t *testing.T, m *serviceModel, shape string, typ reflect.Type, xml bool, where string) {
	t.Helper()
	sm, ok := m.Shapes[shape]
	if !ok {
		t.Errorf("%s: no shape %s", where, shape)
		return
	}
	for _, mem := range members(typ) {
		key := typ.Name() + "." + mem.name
		mm, ok := sm.Members[mem.name]
		if !ok {
			if !newerThanTheCLI[key] {
				t.Errorf("%s: member %s (%s) is not in shape %s (members %v)", where, mem.name, key, shape, sortedKeys(sm.Members))
			}
			continue
		}
		// REST bindings: path and query members are where the model
		// puts them.
		switch {
		case mem.uri != "":
			if mm.Location != "uri" || mm.LocationName != mem.uri {
				t.Errorf("%s: %s travels in the path as {%s}, the model says %s %q", where, mem.name, mem.uri, mm.Location, mm.LocationName)
			}
		case mem.query != "":
			if mm.Location != "querystring" || mm.LocationName != mem.query {
				t.Errorf("%s: %s travels in the query as %s, the model says %s %q", where, mem.name, mem.query, mm.Location, mm.LocationName)
			}
		case mm.Location != "":
			t.Errorf("%s: %s is a %s member %q in the model, a body member here", where, mem.name, mm.Location, mm.LocationName)
		}
		f := typ.Field(mem.index)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		target := m.Shapes[mm.Shape]
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.Uint8:
			if target.Type != "list" {
				t.Errorf("%s: %s is a list here, a %s in the model", where, mem.name, target.Type)
				continue
			}
			if xml {
				loc := "member"
				if target.Member.LocationName != "" {
					loc = target.Member.LocationName
				}
				if mem.loc != loc || mem.flat != (target.Flattened || mm.Flattened) {
					t.Errorf("%s: list %s has elements <%s> (flat %v) here, <%s> (flat %v) in the model", where, mem.name, mem.loc, mem.flat, loc, target.Flattened)
				}
			}
			elem := ft.Elem()
			if elem.Kind() == reflect.Struct && elem != timestampType {
				compareShape(t, m, target.Member.Shape, elem, xml, where+"."+mem.name+"[]")
			}
		case ft.Kind() == reflect.Struct && ft != timestampType:
			if target.Type != "structure" {
				t.Errorf("%s: %s is a structure here, a %s in the model", where, mem.name, target.Type)
				continue
			}
			compareShape(t, m, mm.Shape, ft, xml, where+"."+mem.name)
		default:
			want := map[reflect.Kind][]string{
				reflect.String: {"string"}, reflect.Int: {"integer", "long"}, reflect.Int64: {"long", "integer"},
				reflect.Bool: {"boolean"}, reflect.Float64: {"double", "float"}, reflect.Map: {"map"}, reflect.Slice: {"blob"},
			}[ft.Kind()]
			if ft == timestampType {
				want = []string{"timestamp"}
			}
			if !slices.Contains(want, target.Type) {
				t.Errorf("%s: %s is %s here, %s in the model", where, mem.name, ft, target.Type)
			}
		}
	}
}

func sortedKeys(m map[string]memberModel) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return fmt.Sprint(strings.Join(ks, ","))
}
