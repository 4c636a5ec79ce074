package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/status"
)

// openAPIDoc is the part of the OpenAPI document the test reads.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Info    struct{ Version string }              `json:"info"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// TestOpenAPIMatchesRoutes: every route the handler serves is in the
// OpenAPI document with the same method, and the document describes no
// route the handler lacks, so clients generated from it call what exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	var served, documented []string
	for _, rt := range append(Routes(), WebSessionRoutes()...) {
		served = append(served, strings.ToLower(rt.Method)+" "+rt.Path)
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, method+" "+path)
			var o struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(op, &o); err != nil || o.OperationID == "" || len(o.Responses) == 0 {
				t.Errorf("%s %s: needs an operationId and responses (%v)", method, path, err)
			}
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	for _, s := range served {
		if !slices.Contains(documented, s) {
			t.Errorf("served but not documented: %s", s)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("documented but not served: %s", d)
		}
	}
}

// TestOpenAPISchemasMatchTypes: the document's request and response
// schemas name exactly the JSON fields of the Go types the handlers
// decode and encode, so a field added to one and not the other fails.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	types := map[string]any{
		"Error": ErrorBody{}, "OverrideRequest": control.OverrideRequest{}, "OverrideSet": lvs.OverrideSet{},
		"Param": edit.Param{}, "Endpoint": edit.Endpoint{}, "VSSpec": edit.VSSpec{}, "RSSpec": edit.RSSpec{},
		"Globals": edit.Globals{}, "Location": edit.Location{}, "RSInfo": edit.RSInfo{}, "VSInfo": edit.VSInfo{},
		"ConfigView": control.ConfigView{}, "Edit": control.Edit{}, "StagedChange": control.StagedChange{},
		"Pending": control.Pending{}, "Preview": status.Preview{}, "Plan": control.Plan{},
		"PlanRequest": PlanRequest{}, "ApplyRequest": ApplyRequest{}, "ApplyResult": control.ApplyResult{},
		"RollbackRequest": RollbackRequest{}, "TestMailResult": control.TestMailResult{}, "AuditRecord": confstore.AuditRecord{}, "RevisionInfo": confstore.RevisionInfo{},
		"LoginRequest": LoginRequest{}, "Identity": Identity{},
	}
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var fields, props []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if tag != "" && tag != "-" {
				fields = append(fields, tag)
			}
		}
		for p := range s.Properties {
			props = append(props, p)
		}
		slices.Sort(fields)
		slices.Sort(props)
		if !slices.Equal(fields, props) {
			t.Errorf("schema %s has %v, the Go type %v", name, props, fields)
		}
	}
}
