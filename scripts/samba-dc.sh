#!/usr/bin/env bash
# A real Samba AD DC (realm CORP.TEST, domain CORP) on a loopback address, for tests and the demo.
#
#   scripts/samba-dc.sh provision|start|stop|status
#
# Environment:
#   DC_DIR               folder that holds everything of this DC (wiped by provision)
#   DC_IP                loopback address it listens on, e.g. 127.0.0.2 (LDAP ports are fixed: 389/636)
#   DC_ADMIN_PASSWORD    password of CORP\Administrator
#   DC_SERVICE_PASSWORD  password of CN=svc-pwreset,CN=Users (the bot's service account)
#   DC_SEED_PASSWORD     password of every seeded person
#   DC_OWNER             optional: who runs this DC (any text); start records it, and provision
#                        stops a running DC from DC_DIR only when it has the same owner
#
# provision wipes DC_DIR (only a folder this script made, and never under a running DC that is
# not its own: stop that first), provisions, writes its own smb.conf and TLS certificates (a CA of its
# own; clients trust $DC_DIR/private/tls/ca.pem), seeds the people of test/support/fixtures.ts
# (scripts/seed/seed-ldif.mjs) and delegates the reset on OU=Tenants to the service account.
# Needs: samba-ad-dc samba-ad-provision ldb-tools ldap-utils openssl, and node.
set -euo pipefail

readonly REALM=CORP.TEST
readonly DOMAIN=CORP
readonly BASE_DN='DC=corp,DC=test'
readonly TENANTS_OU="OU=Tenants,${BASE_DN}"
readonly SERVICE_DN="CN=svc-pwreset,CN=Users,${BASE_DN}"
# Delegation on OU=Tenants, inherited only by user objects (bf967aba-…): Reset Password, write
# pwdLastSet, write lockoutTime. Nothing else: no read of secrets, no write of other attributes.
readonly RIGHT_RESET_PASSWORD=00299570-246d-11d0-a768-00aa006e0529
readonly ATTR_PWD_LAST_SET=bf967a0a-0de6-11d0-a285-00aa003049e2
readonly ATTR_LOCKOUT_TIME=28630ebf-41d5-11d1-a9c1-0000f80367c1
readonly CLASS_USER=bf967aba-0de6-11d0-a285-00aa003049e2

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR

DC_DIR=${DC_DIR:-${TMPDIR:-/tmp}/pwreset-demo-dc}
DC_IP=${DC_IP:-127.0.0.1}
# Demo defaults only; tests pass their own (test/support/fixtures.ts).
DC_ADMIN_PASSWORD=${DC_ADMIN_PASSWORD:-Dc-Admin-Pass-2026!}
DC_SERVICE_PASSWORD=${DC_SERVICE_PASSWORD:-Svc-Reset-Pass-2026!}
DC_SEED_PASSWORD=${DC_SEED_PASSWORD:-Seed-Pass-2026!}
DC_OWNER=${DC_OWNER:-}
START_TIMEOUT=${START_TIMEOUT:-30}

die() { echo "samba-dc: $*" >&2; exit 1; }
log() { echo "samba-dc: $*" >&2; }
now_ms() { date +%s%3N; }

need() {
  local missing=()
  for cmd in "$@"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
  if ((${#missing[@]} > 0)); then
    die "missing ${missing[*]}: install samba-ad-dc samba-ad-provision ldb-tools ldap-utils krb5-user openssl (.ci/run does)"
  fi
}

check_env() {
  [[ "$DC_IP" =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || die "DC_IP must be a loopback address (127.x.y.z), got '$DC_IP'"
  [[ "$DC_DIR" = /* ]] || DC_DIR="$PWD/$DC_DIR"
  [[ "$DC_DIR" != / ]] || die "DC_DIR must not be /"
}

# The pid of the running DC, if there is one (and only if that pid is still a samba: after a
# reboot or a crash the number may belong to something else).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == samba ]] && echo "$pid"
}

# What listens on DC_IP's LDAP ports (or on all addresses), if anything.
ldap_listeners() {
  ss -Hltn 2>/dev/null | awk -v ip="$DC_IP" '
    { split($4, a, ":"); port = a[length(a)]; host = substr($4, 1, length($4) - length(port) - 1) }
    (port == 389 || port == 636) && (host == ip || host == "0.0.0.0" || host == "*" || host == "[::]") { print $4 }'
}

ldaps_answers() {
  LDAPTLS_CACERT="$TLS_DIR/ca.pem" LDAPTLS_REQCERT=demand \
    timeout 5 ldapsearch -x -LLL -H "ldaps://$DC_IP" -b '' -s base -o nettimeout=2 dnsHostName >/dev/null 2>&1
}

write_smb_conf() {
  # Our own, complete smb.conf: provision copies settings from /etc/samba/smb.conf, and every
  # path must stay inside DC_DIR so that several DCs (one per address) can run side by side.
  mkdir -p "$DC_DIR"/{etc,lock,state,cache,pid,ncalrpc,bind-dns,winbindd,ntp_signd}
  cat >"$SMB_CONF" <<EOF
# Written by scripts/samba-dc.sh
[global]
	netbios name = DC1
	realm = $REALM
	workgroup = $DOMAIN
	server role = active directory domain controller
	# LDAP/LDAPS and Kerberos only: no SMB, RPC, NetBIOS, DNS or replication.
	server services = ldap, kdc
	interfaces = $DC_IP/8
	bind interfaces only = yes
	private dir = $DC_DIR/private
	binddns dir = $DC_DIR/bind-dns
	lock directory = $DC_DIR/lock
	state directory = $DC_DIR/state
	cache directory = $DC_DIR/cache
	pid directory = $DC_DIR/pid
	ncalrpc dir = $DC_DIR/ncalrpc
	winbindd socket directory = $DC_DIR/winbindd
	ntp signd socket directory = $DC_DIR/ntp_signd
	log file = $LOG_FILE
	log level = 1
	idmap_ldb:use rfc2307 = yes
	# A reset password must stop working at once (the default keeps the old one for 60 minutes).
	old password allowed period = 0
	tls enabled = yes
	tls keyfile = $TLS_DIR/key.pem
	tls certfile = $TLS_DIR/cert.pem
	tls cafile = $TLS_DIR/ca.pem
EOF
}

write_tls() {
  # A CA of our own and a server certificate with the IP in its SAN, so that clients verify it
  # without a servername override. EC keys: fast to generate.
  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$TLS_DIR"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$tmp/ca-key.pem" -out "$TLS_DIR/ca.pem" -days 3650 \
    -subj "/CN=pwreset test CA ($DC_IP)" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$TLS_DIR/key.pem" -out "$tmp/cert.csr" -subj '/CN=dc1.corp.test' 2>/dev/null
  printf 'subjectAltName=IP:%s,DNS:localhost,DNS:dc1.corp.test\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
    "$DC_IP" >"$tmp/ext.cnf"
  openssl x509 -req -in "$tmp/cert.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$tmp/ca-key.pem" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -out "$TLS_DIR/cert.pem" -days 3650 -extfile "$tmp/ext.cnf" 2>/dev/null
  # Samba refuses a key file that others can read. The CA key is not kept: nothing else is signed.
  chmod 0600 "$TLS_DIR/key.pem"
  chmod 0644 "$TLS_DIR/ca.pem" "$TLS_DIR/cert.pem"
  rm -rf "$tmp"
}

ldb() { "$@" --configfile="$SMB_CONF" -H "$SAM_LDB"; }

# One attribute of one entry, read offline, LDIF folding undone.
ldb_get() {
  local dn=$1 attr=$2
  ldb ldbsearch -b "$dn" -s base "$attr" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' | sed -n "s/^$attr: //p"
}

seed() {
  # Always with --configfile: without it ldb computes the Kerberos keys with the wrong salt.
  local ldif="$DC_DIR/private/seed.ldif"
  DC_SEED_PASSWORD="$DC_SEED_PASSWORD" DC_SERVICE_PASSWORD="$DC_SERVICE_PASSWORD" \
    node "$SCRIPT_DIR/seed/seed-ldif.mjs" >"$ldif"
  chmod 0600 "$ldif"
  ldb ldbmodify "$ldif" >/dev/null
  rm -f "$ldif"

  local sid
  sid=$(ldb_get "$SERVICE_DN" objectSid)
  [[ "$sid" == S-1-5-21-* ]] || die "could not read the SID of $SERVICE_DN"
  ldb samba-tool dsacl set --objectdn="$TENANTS_OU" \
    --sddl="(OA;CIIO;CR;$RIGHT_RESET_PASSWORD;$CLASS_USER;$sid)(OA;CIIO;WP;$ATTR_PWD_LAST_SET;$CLASS_USER;$sid)(OA;CIIO;WP;$ATTR_LOCKOUT_TIME;$CLASS_USER;$sid)" \
    >/dev/null

  protect_privileged_accounts

  # A privilege granted after that step, as if SDProp had not run since: the account keeps the
  # DACL it inherits from its OU (see the seed's "late" phase).
  DC_SEED_PASSWORD="$DC_SEED_PASSWORD" DC_SERVICE_PASSWORD="$DC_SERVICE_PASSWORD" \
    node "$SCRIPT_DIR/seed/seed-ldif.mjs" late >"$DC_DIR/private/late.ldif"
  ldb ldbmodify "$DC_DIR/private/late.ldif" >/dev/null
  rm -f "$DC_DIR/private/late.ldif"
}

# Windows' SDProp gives every member of a privileged group adminCount=1 and the DACL of
# AdminSDHolder with inheritance blocked, so a delegation on an OU never reaches a Domain Admin
# placed in it. Samba 4.17 has no SDProp: without this, the service account could reset
# HOSTING.domainAdmin. Done once, at seed time, for the accounts under OU=Tenants.
protect_privileged_accounts() {
  local dacl filter group dns
  # AdminSDHolder's owner, group and DACL (no SACL); its inherited ACEs become explicit, and
  # P (protected) blocks inheritance from the OU.
  dacl=$(ldb_get "CN=AdminSDHolder,CN=System,$BASE_DN" nTSecurityDescriptor |
    sed -E -e 's/S:.*$//' -e 's/D:([A-Z]*)\(/D:P\1(/' -e 's/D:PP/D:P/' -e 's/\(([A-Z]+);([A-Z]*)ID([A-Z]*);/(\1;\2\3;/g')
  [[ "$dacl" == O:*D:P* ]] || die "could not read the security descriptor of AdminSDHolder"
  filter='(|'
  for group in "CN=Domain Admins,CN=Users,$BASE_DN" "CN=Enterprise Admins,CN=Users,$BASE_DN" \
    "CN=Schema Admins,CN=Users,$BASE_DN" "CN=Administrators,CN=Builtin,$BASE_DN" \
    "CN=Account Operators,CN=Builtin,$BASE_DN" "CN=Server Operators,CN=Builtin,$BASE_DN" \
    "CN=Backup Operators,CN=Builtin,$BASE_DN" "CN=Print Operators,CN=Builtin,$BASE_DN"; do
    filter+="(memberOf:1.2.840.113556.1.4.1941:=$group)"
  done
  filter+=')'
  dns=$(ldb ldbsearch -b "$TENANTS_OU" "(&(objectClass=user)$filter)" dn |
    sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' | sed -n 's/^dn: //p')
  [[ -n "$dns" ]] || return 0
  while IFS= read -r dn; do
    printf 'dn: %s\nchangetype: modify\nreplace: adminCount\nadminCount: 1\n-\nreplace: nTSecurityDescriptor\nnTSecurityDescriptor: %s\n-\n\n' "$dn" "$dacl"
  done <<<"$dns" >"$DC_DIR/private/protect.ldif"
  # ldb first tries the value as a binary descriptor and prints an ndr_pull error before it
  # parses it as SDDL: keep that noise unless the change fails.
  if ! ldb ldbmodify "$DC_DIR/private/protect.ldif" >/dev/null 2>"$DC_DIR/private/protect.err"; then
    cat "$DC_DIR/private/protect.err" >&2
    die "could not protect the privileged accounts under $TENANTS_OU"
  fi
  rm -f "$DC_DIR/private/protect.ldif" "$DC_DIR/private/protect.err"
}

cmd_provision() {
  need samba-tool ldbmodify ldbsearch openssl node
  if pid=$(running_pid); then
    local owner=''
    [[ -f "$OWNER_FILE" ]] && owner=$(<"$OWNER_FILE")
    if [[ -n "$DC_OWNER" && "$owner" == "$DC_OWNER" ]]; then
      log "our DC from $DC_DIR is running (pid $pid): stopping it first"
      cmd_stop
    else
      die "a DC from $DC_DIR is running (pid $pid${owner:+, owner $owner}) that is not ours: not provisioning over it (stop it first: '$0 stop')"
    fi
  fi
  if [[ -d "$DC_DIR" ]] && [[ -n "$(ls -A "$DC_DIR")" ]] && [[ ! -f "$MARKER" ]]; then
    die "$DC_DIR exists, is not empty and was not made by this script: not wiping it"
  fi
  local t0
  t0=$(now_ms)
  rm -rf "$DC_DIR"
  mkdir -p "$DC_DIR/etc"
  touch "$MARKER"
  # An empty config for provision itself, so it copies nothing from /etc/samba/smb.conf.
  : >"$DC_DIR/etc/provision.conf"
  if ! samba-tool domain provision --configfile="$DC_DIR/etc/provision.conf" \
    --realm="$REALM" --domain="$DOMAIN" --server-role=dc --dns-backend=NONE --use-rfc2307 \
    --host-name=dc1 --adminpass="$DC_ADMIN_PASSWORD" --targetdir="$DC_DIR" \
    --option="interfaces=$DC_IP/8" --option='bind interfaces only=yes' >"$DC_DIR/provision.log" 2>&1; then
    tail -n 20 "$DC_DIR/provision.log" >&2
    die "samba-tool domain provision failed (log: $DC_DIR/provision.log)"
  fi
  rm -f "$DC_DIR/etc/provision.conf"
  write_smb_conf
  write_tls
  seed
  log "provisioned $REALM in $DC_DIR for $DC_IP in $(($(now_ms) - t0)) ms"
}

cmd_start() {
  need samba ldapsearch ss
  [[ -f "$SMB_CONF" ]] || die "$DC_DIR is not provisioned: run '$0 provision' first"
  grep -Fqx "	interfaces = $DC_IP/8" "$SMB_CONF" ||
    die "$DC_DIR was provisioned for another address than $DC_IP (its certificate too): run '$0 provision' again"
  if pid=$(running_pid); then
    die "a DC from $DC_DIR is already running (pid $pid)"
  fi
  local busy
  busy=$(ldap_listeners)
  if [[ -n "$busy" ]]; then
    die "something already listens on $(echo "$busy" | paste -sd, -): stop it (a system Samba?) or choose another DC_IP"
  fi
  local t0
  t0=$(now_ms)
  : >"$LOG_FILE"
  # -i: stay in the foreground, log to stdout; -M single: one process. setsid: our own process
  # group, so a Ctrl-C in the calling terminal does not reach it; stop does.
  setsid samba -s "$SMB_CONF" -i -M single --debug-stdout </dev/null >>"$LOG_FILE" 2>&1 &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  if [[ -n "$DC_OWNER" ]]; then printf '%s\n' "$DC_OWNER" >"$OWNER_FILE"; else rm -f "$OWNER_FILE"; fi
  local deadline=$((t0 + START_TIMEOUT * 1000))
  until ldaps_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 30 "$LOG_FILE" >&2
      die "samba exited during start-up (log: $LOG_FILE)"
    fi
    if (($(now_ms) > deadline)); then
      tail -n 30 "$LOG_FILE" >&2
      cmd_stop || true
      die "no LDAPS answer on $DC_IP:636 within ${START_TIMEOUT}s (log: $LOG_FILE)"
    fi
    sleep 0.1
  done
  log "started on ldaps://$DC_IP (pid $pid) in $(($(now_ms) - t0)) ms"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE" "$OWNER_FILE"
    log "not running ($DC_DIR)"
    return 0
  fi
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop within 10 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE" "$OWNER_FILE"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if ldaps_answers; then
      echo "running: pid $pid, ldaps://$DC_IP, $DC_DIR"
    else
      echo "starting or unhealthy: pid $pid, no LDAPS answer on $DC_IP, $DC_DIR"
      return 1
    fi
  else
    echo "stopped: $DC_DIR"
    return 3
  fi
}

check_env
PID_FILE="$DC_DIR/samba.pid"
OWNER_FILE="$DC_DIR/samba.owner"
LOG_FILE="$DC_DIR/samba.log"
SMB_CONF="$DC_DIR/etc/smb.conf"
SAM_LDB="$DC_DIR/private/sam.ldb"
TLS_DIR="$DC_DIR/private/tls"
MARKER="$DC_DIR/.samba-dc"

case "${1:-}" in
provision) cmd_provision ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
  echo "usage: $0 provision|start|stop|status   (env: DC_DIR, DC_IP, DC_ADMIN_PASSWORD, DC_SERVICE_PASSWORD, DC_SEED_PASSWORD, DC_OWNER)" >&2
  exit 2
  ;;
esac
