#!/usr/bin/env bash
# Installs the Debian packages crisisplan needs that pip cannot bring, when missing:
#   graphviz   the runbook diagrams (always)
#   chromium   the browser tests (with --tests)
#   prometheus-alertmanager   the real Alertmanager the webhook test fires at the app (with --tests)
#   nodejs npm the OpenID provider the SSO tests sign in through (scripts/oidc, with --tests)
#   dovecot-imapd dovecot-lmtpd   the IMAP mailbox the e-mail-in tests read (scripts/dovecot.sh, with --tests)
#   redis-server  the AT Protocol AppView's cache, for the Bluesky tests (scripts/atproto.sh, with --tests)
#   wrk nginx  the status-page benchmark (with --bench)
# Needs root or sudo for apt-get. Under CI=true a package that cannot be installed fails the run.
set -euo pipefail
want=(graphviz:dot)
for arg in "$@"; do
  case "$arg" in
    --tests) want+=(chromium:chromium prometheus-alertmanager:amtool nodejs:node npm:npm)
              want+=(dovecot-imapd:/usr/lib/dovecot/imap dovecot-lmtpd:/usr/lib/dovecot/lmtp)
              want+=(redis-server:redis-server) ;;
    --bench) want+=(wrk:wrk nginx-light:nginx) ;;
  esac
done
missing=()
for pair in "${want[@]}"; do
  command -v "${pair#*:}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair#*:}" ] || missing+=("${pair%%:*}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} (Debian packages)" >&2
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo_cmd="sudo"
if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo_cmd" ]; }; then
  export DEBIAN_FRONTEND=noninteractive
  if $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
     { $sudo_cmd apt-get update -qq >/dev/null 2>&1 && $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    exit 0
  fi
fi
echo "could not install ${missing[*]}; install them with your package manager" >&2
[ "${CI:-}" = "true" ] && exit 1
exit 0
