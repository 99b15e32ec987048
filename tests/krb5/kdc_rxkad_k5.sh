#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rxkad-k5 against a real MIT KDC: Debian's krb5kdc runs in a private temp
# directory on 127.0.0.1 (its own krb5.conf / kdc.conf via KRB5_CONFIG and
# KRB5_KDC_PROFILE, a fresh database, a unique realm and port); afs/CELL is
# added with a random key and written to a keytab, users alice and
# bob/admin get tickets (kinit from their keytabs into private ccaches) and
# the afs/CELL service ticket (kvno -e ENCTYPE) for several session key
# enctypes; then kdc_ticket_check opens each ticket with a keyring loaded
# from the keytab and compares identity, times and session key with the
# ccache.  The KDC is stopped by pid; every wait is bounded.
#   kdc_rxkad_k5.sh KDC_TICKET_CHECK [SEED_DIR]
# SEED_DIR receives the tickets (fuzz seeds).  Skips (77) when krb5-kdc /
# krb5-user are not installed.
T_NAME=kdc_rxkad_k5
# shellcheck source=scripts/lib/harness.sh
. "$(dirname "$0")/../../scripts/lib/harness.sh"

check=$1
seeds=${2:-$T_DIR/seeds}
mkdir -p "$seeds"
for c in krb5kdc kdb5_util kadmin.local kinit kvno; do
	command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || skip "$c not installed (apt-get install krb5-kdc krb5-admin-server krb5-user)"
done
PATH=$PATH:/usr/sbin

realm=RXD$$.TEST
cell=rxd$$.test
port=$(free_udp_port 1)
d=$T_DIR/kdc
mkdir -p "$d"
cat >"$d/krb5.conf" <<EOF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	udp_preference_limit = 1
[realms]
	$realm = {
		kdc = 127.0.0.1:$port
	}
EOF
cat >"$d/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = ""
[realms]
	$realm = {
		database_name = $d/principal
		key_stash_file = $d/stash
		acl_file = $d/kadm5.acl
		max_life = 10h
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes128-cts-hmac-sha256-128:normal camellia256-cts-cmac:normal
	}
[logging]
	kdc = FILE:$d/kdc.log
EOF
: >"$d/kadm5.acl"
export KRB5_CONFIG=$d/krb5.conf KRB5_KDC_PROFILE=$d/kdc.conf KRB5RCACHETYPE=none

timeout 60 kdb5_util create -s -r "$realm" -P "master-$$-$RANDOM" >"$d/kdb5_util.log" 2>&1 ||
	{ cat "$d/kdb5_util.log"; echo "FAIL: kdb5_util create"; exit 1; }
kadm() { timeout 30 kadmin.local -r "$realm" -q "$*" >>"$d/kadmin.log" 2>&1 || { cat "$d/kadmin.log"; echo "FAIL: kadmin.local $*"; exit 1; }; }
kadm addprinc -randkey "afs/$cell@$realm"
kadm addprinc -randkey "alice@$realm"
kadm addprinc -randkey "bob/admin@$realm"
kadm ktadd -k "$d/afs.keytab" "afs/$cell@$realm"
kadm ktadd -k "$d/alice.keytab" "alice@$realm"
kadm ktadd -k "$d/bob.keytab" "bob/admin@$realm"
# a second key version: the ring must pick the one the ticket names
kadm ktadd -k "$d/afs.keytab" "afs/$cell@$realm"

bg "$d/krb5kdc.out" krb5kdc -n
kdc=$LAST_PID
ok=0
for _ in $(seq 100); do
	grep -qs "commencing operation" "$d/kdc.log" && { ok=1; break; }
	kill -0 "$kdc" 2>/dev/null || break
	sleep 0.1
done
[ "$ok" = 1 ] || { cat "$d/krb5kdc.out" "$d/kdc.log" 2>/dev/null; echo "FAIL: krb5kdc did not start"; exit 1; }
note "krb5kdc pid $kdc on 127.0.0.1:$port, realm $realm"

rc=0
n=0
for who in alice bob; do
	princ=alice
	[ "$who" = bob ] && princ=bob/admin
	for et in aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes128-cts-hmac-sha256-128 camellia256-cts-cmac; do
		n=$((n + 1))
		cc=FILE:$d/cc.$n
		if ! timeout 30 kinit -k -t "$d/$who.keytab" -c "$cc" "$princ@$realm" >"$d/kinit.$n.log" 2>&1 ||
			! timeout 30 kvno -c "$cc" -e "$et" "afs/$cell@$realm" >"$d/kvno.$n.log" 2>&1; then
			cat "$d/kinit.$n.log" "$d/kvno.$n.log"
			fail "$princ, session enctype $et: no service ticket"
			rc=1
			continue
		fi
		mkdir -p "$d/seeds.$n"
		if timeout 60 "$check" "$cc" "$d/afs.keytab" "$cell" "$realm" "$d/seeds.$n"; then
			for f in "$d/seeds.$n"/*; do cp "$f" "$seeds/$(basename "$f")_${who}_$et"; done
		else
			fail "$princ, session enctype $et"
			rc=1
		fi
	done
done
stop_pid "$kdc" 10
exit $rc
