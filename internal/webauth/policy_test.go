package webauth

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/alived/alived/api"
)

// pending are routes the policy decides before their handler is merged
// (the web UI's event stream, api/events.go on the webui branch).
var pending = []string{"GET /api/v1/events"}

// TestPolicyCoversEveryRoute: every route the API and the session layer
// serve has an access rule, so a new endpoint cannot slip onto the web
// listener undecided; and the policy names no route that does not exist.
func TestPolicyCoversEveryRoute(t *testing.T) {
	pol := Policy()
	served := map[string]bool{}
	for _, rt := range append(api.Routes(), api.WebSessionRoutes()...) {
		key := rt.Method + " " + rt.Path
		served[key] = true
		if _, ok := pol[key]; !ok {
			t.Errorf("route %s has no access rule in webauth.Policy", key)
		}
	}
	for key, acc := range pol {
		if !served[key] && !slices.Contains(pending, key) {
			t.Errorf("policy names %s, which no handler serves", key)
		}
		if acc == Public && (strings.HasPrefix(key, "POST") || strings.HasPrefix(key, "DELETE")) &&
			key != "POST /api/v1/login" && key != "POST /api/v1/logout" {
			t.Errorf("%s changes state without a login", key)
		}
	}
	own := slices.Sorted(maps.Keys((&Auth{}).sessionHandlers()))
	var want []string
	for _, rt := range api.WebSessionRoutes() {
		want = append(want, rt.Method+" "+rt.Path)
	}
	slices.Sort(want)
	if !slices.Equal(own, want) {
		t.Errorf("session handlers %v, api.WebSessionRoutes %v", own, want)
	}
}

// TestOpenAPIRolesMatchPolicy: the role the OpenAPI document gives each
// operation (x-alived-role) is the one the policy enforces.
func TestOpenAPIRolesMatchPolicy(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	pol := Policy()
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				Role string `json:"x-alived-role"`
			}
			_ = json.Unmarshal(raw, &op)
			key := strings.ToUpper(method) + " " + path
			if got, want := op.Role, string(pol[key]); got != want {
				t.Errorf("%s: openapi x-alived-role %q, policy %q", key, got, want)
			}
		}
	}
}
