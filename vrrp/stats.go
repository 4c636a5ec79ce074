package vrrp

// Stats are the per-instance counters keepalived keeps (vrrp_print.c and the
// JSON dump's "stats" object), under the same names, plus the SNMP-only
// counters keepalived keeps for version, VRID and checksum errors.
type Stats struct {
	AdvertRcvd        uint64 `json:"advert_rcvd"`
	AdvertSent        uint64 `json:"advert_sent"`
	BecomeMaster      uint64 `json:"become_master"`
	ReleaseMaster     uint64 `json:"release_master"`
	PacketLenErr      uint64 `json:"packet_len_err"`
	AdvertIntervalErr uint64 `json:"advert_interval_err"`
	IPTTLErr          uint64 `json:"ip_ttl_err"`
	InvalidTypeRcvd   uint64 `json:"invalid_type_rcvd"`
	AddrListErr       uint64 `json:"addr_list_err"`
	InvalidAuthType   uint64 `json:"invalid_authtype"`
	AuthTypeMismatch  uint64 `json:"authtype_mismatch"`
	AuthFailure       uint64 `json:"auth_failure"`
	PriZeroRcvd       uint64 `json:"pri_zero_rcvd"`
	PriZeroSent       uint64 `json:"pri_zero_sent"`
	// VersionErr, VRIDErr and ChecksumErr are kept by keepalived only in
	// its SNMP builds (vers_err, vrid_err, chk_err).
	VersionErr  uint64 `json:"vers_err"`
	VRIDErr     uint64 `json:"vrid_err"`
	ChecksumErr uint64 `json:"chk_err"`
	// UnicastErr counts adverts rejected for unicast/multicast mismatch or
	// an unknown unicast source (no keepalived counter; alived addition).
	UnicastErr uint64 `json:"unicast_err"`
}
