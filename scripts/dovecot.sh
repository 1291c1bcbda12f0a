#!/usr/bin/env bash
# A throw-away Dovecot (IMAP + LMTP) on loopback ports, for the tests of e-mail in and the demo.
#   eval "$(bash scripts/dovecot.sh start [ADDRESS:PASSWORD ...])"
#       installs dovecot-imapd and dovecot-lmtpd with apt-get when missing, starts an instance of its own
#       (its config, its mail folder, passwd-file users, its own state and ports) in a temporary folder, and
#       exports CRISISPLAN_DOVECOT_DIR (that folder), CRISISPLAN_DOVECOT_IMAP_PORT (plain IMAP, STARTTLS
#       offered), CRISISPLAN_DOVECOT_IMAPS_PORT (IMAP over TLS), CRISISPLAN_DOVECOT_LMTP_PORT (delivery, as a
#       mail server hands messages over) and CRISISPLAN_DOVECOT_CAFILE (the self-signed certificate to trust).
#       Users are lines `address:{PLAIN}password` in $CRISISPLAN_DOVECOT_DIR/users: more can be added while it
#       runs (Dovecot reads the file again when it changes).
#   bash scripts/dovecot.sh stop [DIR]   stops the instance in DIR (default $CRISISPLAN_DOVECOT_DIR), removes it
# Each start has its own folder and ports: two runs on one machine never touch each other's mail.
# Under CI=true a Dovecot that cannot be installed or started fails (exit 1).
set -euo pipefail

# three different free ports at once: each socket stays bound until all are chosen, so no two are the same
free_ports() {
  python3 -c 'import socket
held = [socket.socket() for _ in range(3)]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))'
}

case "${1:-}" in
  start)
    shift
    if [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/lib/dovecot/imap ] || [ ! -x /usr/lib/dovecot/lmtp ]; then
      echo "installing dovecot-imapd dovecot-lmtpd (Debian packages)" >&2
      export DEBIAN_FRONTEND=noninteractive
      { apt-get install -y -qq dovecot-imapd dovecot-lmtpd >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq dovecot-imapd dovecot-lmtpd >/dev/null; }; } ||
        { echo "could not install dovecot-imapd dovecot-lmtpd" >&2; exit 1; }
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/crisisplan-dovecot.XXXXXX")
    chmod 755 "$dir"
    mkdir -p "$dir/run" "$dir/state" "$dir/mail"
    # who owns the mail: as root, the dovecot system user (Dovecot never lets root own a mailbox); else ourselves
    if [ "$(id -u)" -eq 0 ]; then owner=dovecot; else owner=$(id -un); fi
    uid=$(id -u "$owner"); gid=$(id -g "$owner")
    read -r imap imaps lmtp <<<"$(free_ports)"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 ||
      { echo "could not make a certificate with openssl" >&2; exit 1; }
    : >"$dir/users"
    for pair in "$@"; do echo "${pair%%:*}:{PLAIN}${pair#*:}:$uid:$gid::$dir/mail/${pair%%:*}" >>"$dir/users"; done
    echo "$uid:$gid" >"$dir/owner"
    cat >"$dir/dovecot.conf" <<EOF
# written by scripts/dovecot.sh: everything of this instance lives in $dir
base_dir = $dir/run
state_dir = $dir/state
instance_name = crisisplan-$(basename "$dir")
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = $uid
last_valid_uid = $uid
default_internal_user = $owner
default_login_user = $owner
default_internal_group = $(id -gn "$owner")
mail_location = maildir:~/Maildir
mail_uid = $uid
mail_gid = $gid
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $dir/users
}
service imap-login {
  inet_listener imap {
    port = $imap
  }
  inet_listener imaps {
    port = $imaps
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp
  }
  unix_listener lmtp {
    mode = 0600
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0600
    user = $owner
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
    user = $owner
  }
  unix_listener stats-writer {
    mode = 0600
    user = $owner
  }
}
protocol lmtp {
  postmaster_address = postmaster@localhost
}
EOF
    chown -R "$uid:$gid" "$dir/mail" "$dir/state"
    /usr/sbin/dovecot -c "$dir/dovecot.conf" >"$dir/start.log" 2>&1 ||
      { cat "$dir/start.log" >&2; cat "$dir/dovecot.log" >&2 2>/dev/null || true; rm -rf "$dir"; exit 1; }
    for _ in $(seq 1 100); do  # listening on all three ports: ready
      if python3 - "$imap" "$imaps" "$lmtp" <<'PY' 2>/dev/null; then break; fi
import socket, sys
for port in sys.argv[1:]:
    socket.create_connection(("127.0.0.1", int(port)), timeout=0.2).close()
PY
      sleep 0.1
    done
    echo "export CRISISPLAN_DOVECOT_DIR=$dir"
    echo "export CRISISPLAN_DOVECOT_IMAP_PORT=$imap"
    echo "export CRISISPLAN_DOVECOT_IMAPS_PORT=$imaps"
    echo "export CRISISPLAN_DOVECOT_LMTP_PORT=$lmtp"
    echo "export CRISISPLAN_DOVECOT_CAFILE=$dir/cert.pem"
    ;;
  adduser)  # bash scripts/dovecot.sh adduser DIR ADDRESS PASSWORD
    dir=$2
    IFS=: read -r uid gid <"$dir/owner"
    echo "$3:{PLAIN}$4:$uid:$gid::$dir/mail/$3" >>"$dir/users"
    # Dovecot looks at the file again at most once a second: wait until the new user is known
    for _ in $(seq 1 50); do
      /usr/bin/doveadm -c "$dir/dovecot.conf" user "$3" >/dev/null 2>&1 && exit 0
      sleep 0.1
    done
    echo "Dovecot in $dir does not know $3 yet" >&2; exit 1
    ;;
  stop)
    dir=${2:-${CRISISPLAN_DOVECOT_DIR:-}}
    case "$dir" in ""|/) exit 0 ;; esac
    [ -f "$dir/dovecot.conf" ] || exit 0
    /usr/bin/doveadm -c "$dir/dovecot.conf" stop >/dev/null 2>&1 ||
      { [ -f "$dir/run/master.pid" ] && kill "$(cat "$dir/run/master.pid")" 2>/dev/null; } || true
    for _ in $(seq 1 50); do [ -f "$dir/run/master.pid" ] || break; sleep 0.1; done
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start [ADDRESS:PASSWORD ...] | adduser DIR ADDRESS PASSWORD | stop [DIR]" >&2; exit 2 ;;
esac
