package api

// RouteInfo describes one endpoint of the API.
type RouteInfo struct {
	// Method is the HTTP method ("GET", "POST", "DELETE").
	Method string
	// Path is the ServeMux pattern path, with {name} wildcards.
	Path string
	// Control routes change state or read the configuration: served
	// only on a handler built with a Controller.
	Control bool
}

// Routes lists every endpoint NewHandler can serve, so that front ends
// that guard the API (the web listener's role policy) can check that
// none is left without a rule.
func Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range (&handler{}).routes() {
		out = append(out, RouteInfo{Method: rt.method, Path: rt.path, Control: rt.control || rt.manage})
	}
	return out
}

// WebSessionRoutes are the endpoints only the web listener serves (the
// login session, package internal/webauth): documented in the same
// OpenAPI document, and checked there and in webauth's tests.
func WebSessionRoutes() []RouteInfo {
	return []RouteInfo{
		{Method: "POST", Path: "/api/v1/login"},
		{Method: "POST", Path: "/api/v1/logout"},
		{Method: "GET", Path: "/api/v1/whoami"},
	}
}

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// Identity is who is logged in: the answer of login and whoami.
type Identity struct {
	User string `json:"user"`
	Role string `json:"role"`
}
