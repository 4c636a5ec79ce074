#!/bin/sh
# Installs what alived's full test suite and demo need on a Debian 12 machine:
# keepalived 2.2.7 (the VRRP peer and config oracle), iproute2 (namespaces),
# ipvsadm, QEMU and the initramfs tools for the IPVS VM, OpenSMTPD (a real
# MTA for the SMTP alert and SMTP_CHECK tests), Prometheus (promtool lint and a
# real server scraping a lab), strace (counts keepalived's and ipvsadm's netlink
# calls in bench/ipvs), chromium and fonts-noto-cjk (the web UI's browser tests
# drive Debian's chromium; the Japanese screens need the CJK fonts), and
# staticcheck.
# Safe to run again: it only installs what is missing.
set -eu

PKGS="keepalived iproute2 ipvsadm qemu-system-x86 busybox-static cpio kmod tcpdump iputils-ping curl nftables opensmtpd prometheus strace chromium fonts-noto-cjk"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

GOBIN="$(go env GOPATH)/bin"
if [ ! -x "$GOBIN/staticcheck" ]; then
	echo "install-deps: installing staticcheck"
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
