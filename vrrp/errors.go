package vrrp

import "errors"

// Receive-path errors. Each one names a distinct reason keepalived rejects or
// drops an advertisement, so that callers can count them (see [Stats]).
// io.ErrUnexpectedEOF is returned for input shorter than the message it
// announces.
var (
	// ErrLength: the message is longer than its header and address count
	// allow, or the IP length does not match (keepalived: packet_len_err).
	ErrLength = errors.New("vrrp: packet length mismatch")
	// ErrTTL: a multicast advert did not arrive with TTL/hop limit 255, or a
	// unicast advert was outside the peer's min_ttl..max_ttl (ip_ttl_err).
	ErrTTL = errors.New("vrrp: invalid TTL/hop limit")
	// ErrVersion: the version field is not 2 or 3, not the instance's
	// version, or v2 was used over IPv6.
	ErrVersion = errors.New("vrrp: invalid version")
	// ErrType: the type field is not 1, ADVERTISEMENT (invalid_type_rcvd).
	ErrType = errors.New("vrrp: invalid packet type")
	// ErrChecksum: the checksum does not verify.
	ErrChecksum = errors.New("vrrp: invalid checksum")
	// ErrAuthType: the v2 auth type is not one of none, PASS, AH
	// (invalid_authtype).
	ErrAuthType = errors.New("vrrp: invalid auth type")
	// ErrAuthMismatch: the v2 auth type differs from the configured one
	// (authtype_mismatch).
	ErrAuthMismatch = errors.New("vrrp: auth type mismatch")
	// ErrAuthFailure: the PASS password differs (auth_failure).
	ErrAuthFailure = errors.New("vrrp: authentication failure")
	// ErrAHUnsupported: IPSEC-AH is recognised but not implemented; such
	// adverts are rejected and counted as auth_failure.
	ErrAHUnsupported = errors.New("vrrp: IPSEC-AH authentication not supported")
	// ErrInterval: a v2 advert's interval differs from ours; keepalived drops
	// it to keep two routers with different timers from both becoming
	// master (advert_interval_err).
	ErrInterval = errors.New("vrrp: advertisement interval mismatch")
	// ErrAddrList: the advert's address list differs from the configured
	// VIPs. keepalived counts it (addr_list_err) and still accepts the
	// advert, so Receive reports it alongside accepted actions.
	ErrAddrList = errors.New("vrrp: address list mismatch")
	// ErrVRID: the advert is for another virtual router.
	ErrVRID = errors.New("vrrp: VRID mismatch")
	// ErrUnicastMismatch: a multicast advert reached a unicast instance or
	// the other way round.
	ErrUnicastMismatch = errors.New("vrrp: unicast/multicast mismatch")
	// ErrUnicastSource: the source of a unicast advert is not a configured
	// peer (check_unicast_src).
	ErrUnicastSource = errors.New("vrrp: unicast source is not a configured peer")
	// ErrOwnerIgnore: we own the addresses (priority 255) and are configured
	// with owner_ignore_adverts; the advert is dropped.
	ErrOwnerIgnore = errors.New("vrrp: address owner ignores adverts")
	// ErrFamily: the addresses in an advert are not all of one family.
	ErrFamily = errors.New("vrrp: mixed or wrong address family")
	// ErrNotRunning: an advert or Stop arrived for an instance that is not
	// started, already stopped, or in FAULT (which ignores adverts).
	ErrNotRunning = errors.New("vrrp: instance not running")
)
