package lvs

import (
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/notify"
)

// checkBody returns the alert body keepalived 2.2.7's checker of kind
// sends when it takes a real server up or down. Most checkers use a fixed
// "=> X CHECK ... <=" text; HTTP_GET, SSL_GET and SMTP_CHECK say
// "=> CHECK ... <=" and add the failure reason; DNS_CHECK has its own
// wording.
func checkBody(kind healthcheck.Kind, up bool, reason string) string {
	switch kind {
	case healthcheck.KindTCP:
		return notify.CheckBody("TCP", up, "")
	case healthcheck.KindUDP:
		return notify.CheckBody("UDP", up, "")
	case healthcheck.KindMisc:
		return notify.CheckBody("MISC", up, "")
	case healthcheck.KindFile:
		return notify.CheckBody("FILE", up, "")
	case healthcheck.KindPing:
		return notify.CheckBody("ICMP", up, "")
	case healthcheck.KindDNS:
		if up {
			return "=> DNS_CHECK: succeed on service <="
		}
		return "=> DNS_CHECK: failed on service <="
	case healthcheck.KindHTTP, healthcheck.KindSSL, healthcheck.KindSMTP:
		if up {
			reason = ""
		}
		return notify.CheckBody("", up, reason)
	}
	return notify.CheckBody("", up, "")
}
