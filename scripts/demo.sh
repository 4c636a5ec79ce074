#!/bin/bash
# alived demo: two alived nodes and a client in network namespaces on one
# machine. Shows VIP failover live: each node's VRRP state, who holds the
# VIP, the client's ping and its ARP entry for the VIP, refreshed every
# second. Kills the master (kill -9, as a crash), watches the backup take
# over, restarts it, watches preemption, then stops it cleanly (priority 0:
# sub-second handover). Runs about a minute by itself and exits 0.
# Everything it creates is removed on exit, also on Ctrl-C.
#
# Needs root, iproute2 and iputils-ping (scripts/install-deps.sh) and a
# built bin/alived (make build). DEMO_FAST=1 (used by internal/demo's
# test) runs VRRPv3 with advert_int 0.1 and short pauses: ~20 s in all.
#
# Node n2 (up for the whole run) also serves the web UI on a link from
# this machine's own namespace into the lab, with a throwaway login that
# is printed at the start; DEMO_HOLD=1 keeps the lab (and the UI) up at the
# end until Enter or Ctrl-C.
set -euo pipefail

BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin/alived}
CTL=${CTL:-$(dirname "$BIN")/alivectl}
HOLD=${DEMO_HOLD:-0}
FAST=${DEMO_FAST:-0}
VERSION=2 ADVERT=1 AUTH="authentication {
        auth_type PASS
        auth_pass demo
    }" SCALE=1
if [ "$FAST" = 1 ]; then VERSION=3 ADVERT=0.1 AUTH="" SCALE=4; fi
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (network namespaces); try: sudo $0" >&2
	exit 1
fi
[ -x "$BIN" ] || { echo "demo: $BIN not found; run make build" >&2; exit 1; }

P="ad$$"
HUB="$P-hub" N1="$P-n1" N2="$P-n2" CL="$P-cl"
VIP=10.77.0.100
DIR=$(mktemp -d /tmp/alived-demo.XXXXXX)
declare -A PID

cleanup() {
	trap - EXIT INT TERM
	for n in n1 n2; do
		if [ -n "${PID[$n]:-}" ]; then kill -9 "${PID[$n]}" 2>/dev/null || true; fi
	done
	wait 2>/dev/null || true
	for ns in "$N1" "$N2" "$CL" "$HUB"; do ip netns del "$ns" 2>/dev/null || true; done
	ip link del "${P}ui" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM HUP
trap 'exit 141' PIPE


# --- the lab: a bridge in a hub namespace, one veth per node ------------
ip netns add "$HUB"
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 type bridge forward_delay 0 stp_state 0
ip -n "$HUB" link set br0 up
i=0
for pair in "$N1:10.77.0.1" "$N2:10.77.0.2" "$CL:10.77.0.10"; do
	ns=${pair%%:*} addr=${pair#*:}
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "${P}v$i" netns "$HUB" type veth peer name eth0 netns "$ns"
	ip -n "$HUB" link set "${P}v$i" master br0 up
	ip -n "$ns" addr add "$addr/24" dev eth0
	ip -n "$ns" link set eth0 up
	i=$((i + 1))
done

# --- the web UI's link: this namespace 10.78.0.1 <-> n2 10.78.0.2 ----------
UI_ADDR=10.78.0.2:9165
ip link add "${P}ui" type veth peer name ui0 netns "$N2"
ip addr add 10.78.0.1/30 dev "${P}ui"
ip link set "${P}ui" up
ip -n "$N2" addr add 10.78.0.2/30 dev ui0
ip -n "$N2" link set ui0 up
UI_PASS=""
if [ -x "$CTL" ]; then
	UI_PASS=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 12)
	echo "$UI_PASS" | "$CTL" user add demo --role admin --password-stdin --users-file "$DIR/users.json" >/dev/null
fi

# --- configuration: keepalived.conf syntax, a notify script per node ----
for n in n1 n2; do
	prio=150; [ $n = n2 ] && prio=100
	mkdir -p "$DIR/$n"
	cat > "$DIR/$n/notify.sh" <<SH
#!/bin/sh
echo "\$3 \$4" > "$DIR/$n/state"
SH
	chmod 755 "$DIR/$n/notify.sh"
	cat > "$DIR/$n/keepalived.conf" <<CONF
global_defs {
    router_id demo_$n
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 77
    priority $prio
    version $VERSION
    advert_int $ADVERT
    $AUTH
    virtual_ipaddress {
        $VIP/24
    }
    notify $DIR/$n/notify.sh
}
CONF
done

start() { # node
	local n=$1 ns web=()
	ns=$([ "$1" = n1 ] && echo "$N1" || echo "$N2")
	if [ "$n" = n2 ] && [ -n "$UI_PASS" ]; then
		# The demo's UI is on a lab-only link, so plain HTTP login is
		# allowed there; a real node gets TLS (see the README).
		web=(--web.listen-address="$UI_ADDR" --web.users-file="$DIR/users.json" --web.allow-insecure-login)
	else
		web=(--web.listen-address=)
	fi
	ip netns exec "$ns" "$BIN" -n -l -f "$DIR/$n/keepalived.conf" -p "$DIR/$n/alived.pid" \
		--state-dir="$DIR/$n/state.d" "${web[@]}" >>"$DIR/$n/log" 2>&1 &
	PID[$n]=$!
}

state() { # node → "MASTER 150" / "down"
	local n=$1
	if [ -z "${PID[$n]:-}" ] || ! kill -0 "${PID[$n]}" 2>/dev/null; then echo "down"; return; fi
	cat "$DIR/$n/state" 2>/dev/null || echo "INIT"
}

holder() {
	# No "ip | grep -q" pipelines: with pipefail, grep quitting early
	# makes ip die of SIGPIPE and the pipeline count as failed.
	local h="" a1 a2
	a1=$(ip -n "$N1" -o addr show dev eth0)
	a2=$(ip -n "$N2" -o addr show dev eth0)
	[[ $a1 == *" $VIP/"* ]] && h="n1"
	[[ $a2 == *" $VIP/"* ]] && h="$h${h:+,}n2"
	echo "${h:-none}"
}

mac_of() { ip netns exec "$1" cat /sys/class/net/eth0/address; }
MAC_N1=$(mac_of "$N1") MAC_N2=$(mac_of "$N2")

status() { # one display line
	local ping neigh who
	if ip netns exec "$CL" ping -c1 -W0.5 -q "$VIP" >/dev/null 2>&1; then ping="reply"; else ping="LOST "; fi
	neigh=$(ip -n "$CL" neigh show "$VIP" | awk '{print $5}')
	case "$neigh" in
	"$MAC_N1") who="n1" ;; "$MAC_N2") who="n2" ;; "") who="-" ;; *) who="?" ;;
	esac
	printf '%s  n1: %-11s n2: %-11s VIP on: %-6s client ping: %s  client ARP %s -> %s\n' \
		"$(date +%T)" "$(state n1)" "$(state n2)" "$(holder)" "$ping" "$VIP" "$who"
}

watch_for() { # seconds message
	echo "== $2"
	local end=$((SECONDS + ($1 + SCALE - 1) / SCALE))
	while [ $SECONDS -lt $end ]; do
		status
		sleep 0.5
	done
}

echo "alived demo: n1 (priority 150) and n2 (priority 100) share VIP $VIP; the client pings it."
echo "files in $DIR (logs: n1/log, n2/log)"
if [ -n "$UI_PASS" ]; then
	echo "web UI of n2: http://$UI_ADDR/  user demo, password $UI_PASS (throwaway; DEMO_HOLD=1 keeps it up at the end)"
fi
start n1
start n2
watch_for 12 "both nodes start; n1 has the higher priority and becomes master"
echo "== kill -9 the master n1 (a crash: it sends nothing and its address goes with it)"
{ kill -9 "${PID[n1]}" && wait "${PID[n1]}"; } 2>/dev/null || true
ip -n "$N1" addr del "$VIP/24" dev eth0 2>/dev/null || true
watch_for 14 "n2 takes over after the master-down interval (3 x advert_int + skew) and sends gratuitous ARPs"
echo "== restart n1"
start n1
watch_for 14 "n1 comes back as backup, hears n2's lower priority and preempts"
echo "== stop n1 cleanly (SIGTERM): it sends priority 0, so n2 takes over after its skew time only"
kill -TERM "${PID[n1]}"
wait "${PID[n1]}" 2>/dev/null || true
watch_for 10 "n2 is master again"
if [ "$HOLD" = 1 ]; then
	echo "== DEMO_HOLD=1: the lab stays up (web UI http://$UI_ADDR/, user demo, password $UI_PASS); press Enter to tear it down"
	read -r _ || true
fi
echo "== done; tearing the lab down"
exit 0
