package config

import (
	"net/netip"
	"time"

	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/config/syntax"
)

// The IPVS side of the model. The reconciler builds its desired state from
// VirtualServer, RealServer and VirtualServerGroup; the health checkers
// map Checker to their own option structs. All values are resolved: what
// keepalived inherits (virtual server → real server → checker) has been
// copied down, and keepalived's defaults are filled in.

// Protocol is a virtual service's transport protocol.
type Protocol string

// Protocols keepalived accepts. ProtoNone is used for fwmark services,
// whose protocol is ignored by IPVS.
const (
	ProtoNone Protocol = ""
	ProtoTCP  Protocol = "TCP"
	ProtoUDP  Protocol = "UDP"
	ProtoSCTP Protocol = "SCTP"
)

// Method is an IPVS packet-forwarding method.
type Method string

// Forwarding methods (lvs_method / lb_kind).
const (
	MethodNAT Method = "NAT"
	MethodDR  Method = "DR"
	MethodTUN Method = "TUN"
)

// Forwarding is a method with its tunnel options (TUN only).
type Forwarding struct {
	Method Method `json:"method"`
	// TunnelType is "ipip" (default), "gue" or "gre" for TUN.
	TunnelType string `json:"tunnel_type,omitempty"`
	TunnelPort uint16 `json:"tunnel_port,omitempty"`
	// TunnelCsum is "", "nocsum", "csum" or "remcsum".
	TunnelCsum string `json:"tunnel_csum,omitempty"`
}

// VirtualServer is a virtual_server block. Exactly one way of naming the
// service is used: an address and port (Addr valid), a firewall mark
// (FWMark > 0) or a virtual_server_group (Group != "").
type VirtualServer struct {
	Addr   netip.Addr `json:"addr,omitempty"`
	Port   uint16     `json:"port"`
	FWMark uint32     `json:"fwmark,omitempty"`
	Group  string     `json:"group,omitempty"`
	// Family is "inet" or "inet6": from Addr, or ip_family for fwmark and
	// group services (default inet).
	Family   string   `json:"family"`
	Protocol Protocol `json:"protocol"`
	// ProtocolSet is false when no protocol keyword was given; keepalived
	// then defaults to UDP with a configuration error.
	ProtocolSet bool `json:"-"`

	// Scheduler is the IPVS scheduler name (lvs_sched / lb_algo), "wlc"
	// by default.
	Scheduler string `json:"lvs_sched"`
	// SchedulerFlags are hashed, flag-1..3, sh-port, sh-fallback,
	// mh-port, mh-fallback as given.
	SchedulerFlags []string   `json:"scheduler_flags,omitempty"`
	OnePacket      bool       `json:"ops,omitempty"`
	Forwarding     Forwarding `json:"lvs_method"`

	// PersistenceTimeout is 0 for a non-persistent service; the bare
	// keyword means 360s.
	PersistenceTimeout     time.Duration `json:"persistence_timeout"`
	PersistenceGranularity netip.Addr    `json:"persistence_granularity,omitempty"`
	PersistenceEngine      string        `json:"persistence_engine,omitempty"`

	DelayLoop        time.Duration `json:"delay_loop"`
	ConnectTimeout   time.Duration `json:"connect_timeout"`
	Retry            int           `json:"retry"`
	DelayBeforeRetry time.Duration `json:"delay_before_retry"`
	// Warmup is the upper bound of the random delay before the first
	// check; keepalived uses delay_loop when not set.
	Warmup           time.Duration `json:"warmup"`
	Quorum           int           `json:"quorum"`
	Hysteresis       int           `json:"hysteresis"`
	QuorumUp         *Script       `json:"quorum_up,omitempty"`
	QuorumDown       *Script       `json:"quorum_down,omitempty"`
	Alpha            bool          `json:"alpha"`
	Omega            bool          `json:"omega"`
	HASuspend        bool          `json:"ha_suspend"`
	InhibitOnFailure bool          `json:"inhibit_on_failure"`
	SMTPAlert        bool          `json:"smtp_alert"`
	VirtualHost      string        `json:"virtualhost,omitempty"`
	SNMPName         string        `json:"snmp_name,omitempty"`
	Weight           int           `json:"weight,omitempty"`

	SorryServer *SorryServer `json:"sorry_server,omitempty"`

	RealServers []*RealServer `json:"real_servers"`
	Pos         syntax.Pos    `json:"-"`
}

// SorryServer is the real server IPVS uses when all others are down.
type SorryServer struct {
	Addr       netip.Addr  `json:"addr"`
	Port       uint16      `json:"port"`
	Inhibit    bool        `json:"inhibit"`
	Forwarding *Forwarding `json:"lvs_method,omitempty"`
	Pos        syntax.Pos  `json:"-"`
}

// RealServer is a real_server block inside a virtual_server.
type RealServer struct {
	Addr       netip.Addr `json:"addr"`
	Port       uint16     `json:"port"`
	Weight     int        `json:"weight"`
	Forwarding Forwarding `json:"lvs_method"`
	UThreshold int        `json:"uthreshold,omitempty"`
	LThreshold int        `json:"lthreshold,omitempty"`

	InhibitOnFailure bool          `json:"inhibit_on_failure"`
	Alpha            bool          `json:"alpha"`
	Retry            int           `json:"retry"`
	DelayBeforeRetry time.Duration `json:"delay_before_retry"`
	Warmup           time.Duration `json:"warmup"`
	ConnectTimeout   time.Duration `json:"connect_timeout"`
	DelayLoop        time.Duration `json:"delay_loop"`
	SMTPAlert        bool          `json:"smtp_alert"`
	VirtualHost      string        `json:"virtualhost,omitempty"`
	SNMPName         string        `json:"snmp_name,omitempty"`
	NotifyUp         *Script       `json:"notify_up,omitempty"`
	NotifyDown       *Script       `json:"notify_down,omitempty"`

	Checkers []*Checker `json:"checkers,omitempty"`
	Pos      syntax.Pos `json:"-"`
}

// VirtualServerGroup is a virtual_server_group block.
type VirtualServerGroup struct {
	Name    string      `json:"name"`
	Entries []*VSGEntry `json:"entries"`
	Pos     syntax.Pos  `json:"-"`
}

// VSGEntry is one line of a virtual_server_group: an address range with an
// optional port, or a firewall mark. For a single address First == Last.
type VSGEntry struct {
	First  netip.Addr `json:"first,omitempty"`
	Last   netip.Addr `json:"last,omitempty"`
	Port   uint16     `json:"port,omitempty"`
	FWMark uint32     `json:"fwmark,omitempty"`
	Family string     `json:"family"`
	Pos    syntax.Pos `json:"-"`
}

// CheckerKind names a checker block.
type CheckerKind string

// Checker kinds, as spelled in keepalived.conf.
const (
	CheckHTTP CheckerKind = "HTTP_GET"
	CheckSSL  CheckerKind = "SSL_GET"
	CheckTCP  CheckerKind = "TCP_CHECK"
	CheckSMTP CheckerKind = "SMTP_CHECK"
	CheckDNS  CheckerKind = "DNS_CHECK"
	CheckMisc CheckerKind = "MISC_CHECK"
	CheckUDP  CheckerKind = "UDP_CHECK"
	CheckPing CheckerKind = "PING_CHECK"
	CheckFile CheckerKind = "FILE_CHECK"
	CheckBFD  CheckerKind = "BFD_CHECK"
)

// Checker is one health checker of a real server. The connection and
// timing fields are resolved (checker value, else real server, else
// virtual server, else the checker kind's default); the kind-specific part
// is in exactly one of the pointer fields.
type Checker struct {
	Kind CheckerKind `json:"kind"`

	ConnectIP        netip.Addr    `json:"connect_ip,omitempty"`
	ConnectPort      uint16        `json:"connect_port"`
	BindTo           netip.Addr    `json:"bindto,omitempty"`
	BindPort         uint16        `json:"bind_port,omitempty"`
	BindIf           string        `json:"bind_if,omitempty"`
	ConnectTimeout   time.Duration `json:"connect_timeout"`
	FWMark           uint32        `json:"fwmark,omitempty"`
	Retry            int           `json:"retry"`
	DelayBeforeRetry time.Duration `json:"delay_before_retry"`
	Warmup           time.Duration `json:"warmup"`
	DelayLoop        time.Duration `json:"delay_loop"`
	Alpha            bool          `json:"alpha"`
	LogAllFailures   bool          `json:"log_all_failures"`

	HTTP *HTTPCheck `json:"http,omitempty"` // HTTP_GET and SSL_GET
	SMTP *SMTPCheck `json:"smtp,omitempty"`
	DNS  *DNSCheck  `json:"dns,omitempty"`
	Misc *MiscCheck `json:"misc,omitempty"`
	UDP  *UDPCheck  `json:"udp,omitempty"`
	File *FileCheck `json:"file,omitempty"`
	BFD  *BFDCheck  `json:"bfd,omitempty"`

	Pos syntax.Pos `json:"-"`
}

// HTTPCheck holds HTTP_GET / SSL_GET options.
type HTTPCheck struct {
	URLs         []*URLCheck `json:"urls"`
	Protocol     string      `json:"http_protocol"` // "1.0", "1.0C" or "1.1"
	VirtualHost  string      `json:"virtualhost,omitempty"`
	FastRecovery bool        `json:"fast_recovery,omitempty"`
	EnableSNI    bool        `json:"enable_sni,omitempty"`
	SNIName      string      `json:"sni_name,omitempty"`
	TLSCompliant bool        `json:"tls_compliant,omitempty"`
}

// StatusRange is an inclusive HTTP status code range.
type StatusRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// URLCheck is one url block. StatusCodes defaults to 200-299.
type URLCheck struct {
	Path           string        `json:"path"`
	Digest         string        `json:"digest,omitempty"`
	StatusCodes    []StatusRange `json:"status_code"`
	VirtualHost    string        `json:"virtualhost,omitempty"`
	Regex          string        `json:"regex,omitempty"`
	RegexNoMatch   bool          `json:"regex_no_match,omitempty"`
	RegexOptions   []string      `json:"regex_options,omitempty"`
	RegexMinOffset int           `json:"regex_min_offset,omitempty"`
	RegexMaxOffset int           `json:"regex_max_offset,omitempty"`
	Pos            syntax.Pos    `json:"-"`
}

// SMTPCheck holds SMTP_CHECK options. Hosts are the deprecated host {}
// sub-blocks, each a full set of connection options.
type SMTPCheck struct {
	HeloName string     `json:"helo_name"`
	Hosts    []*Checker `json:"hosts,omitempty"`
}

// DNSCheck holds DNS_CHECK options.
type DNSCheck struct {
	Type string `json:"type"` // A, NS, CNAME, SOA (default), MX, TXT, AAAA
	Name string `json:"name"` // default "."
}

// MiscCheck holds MISC_CHECK options.
type MiscCheck struct {
	Path    *Script       `json:"misc_path"`
	Timeout time.Duration `json:"misc_timeout"`
	Dynamic bool          `json:"misc_dynamic"`
}

// UDPCheck holds UDP_CHECK options. RequireReplyMask has a 0 nibble where
// the reply pattern had X.
type UDPCheck struct {
	Payload        []byte `json:"payload,omitempty"`
	RequireReply   bool   `json:"require_reply"`
	ReplyPattern   []byte `json:"reply_pattern,omitempty"`
	ReplyMask      []byte `json:"reply_mask,omitempty"`
	MinReplyLength int    `json:"min_reply_length"`
	MaxReplyLength int    `json:"max_reply_length"`
}

// FileCheck holds FILE_CHECK options.
type FileCheck struct {
	TrackFile string `json:"track_file"`
	Weight    int    `json:"weight"`
	WeightSet bool   `json:"weight_set"`
	Reverse   bool   `json:"reverse,omitempty"`
}

// BFDCheck holds BFD_CHECK options.
type BFDCheck struct {
	Name string `json:"name"`
}

// SSLConfig is the top-level SSL block used by SSL_GET.
type SSLConfig struct {
	Password    string     `json:"password,omitempty"`
	CA          string     `json:"ca,omitempty"`
	Certificate string     `json:"certificate,omitempty"`
	Key         string     `json:"key,omitempty"`
	Pos         syntax.Pos `json:"-"`
}

// Ident is the virtual server's operator-facing identity (see package
// ident): how alivectl and the API name it.
func (v *VirtualServer) Ident() ident.VS {
	proto := string(v.Protocol)
	if proto == "" {
		proto = string(ProtoTCP)
	}
	switch {
	case v.FWMark != 0:
		return ident.VS{Kind: ident.ByFWMark, FWMark: v.FWMark, IPv6: v.Family == "inet6"}
	case v.Group != "":
		return ident.VS{Kind: ident.ByGroup, Group: v.Group, Proto: proto}
	}
	return ident.VS{Kind: ident.ByAddr, Addr: v.Addr, Port: v.Port, Proto: proto}
}

// Ident is the real server's operator-facing identity within its
// virtual server.
func (r *RealServer) Ident() ident.RS { return ident.RS{Addr: r.Addr, Port: r.Port} }
