#!/usr/bin/env bash
# Installs what the pipeline and its tests need on Debian/Ubuntu, once: RabbitMQ, swaks, Postfix's
# smtp-source/smtp-sink (the daemon is not started), Python 3, OpenSSL, publicsuffix and OpenDKIM. Safe to run again.
set -euo pipefail

need=()
command -v rabbitmq-server >/dev/null 2>&1 || need+=(rabbitmq-server)
command -v swaks >/dev/null 2>&1 || need+=(swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl libdigest-hmac-perl)
command -v smtp-source >/dev/null 2>&1 || need+=(postfix)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
# Policy: the Public Suffix List (DMARC organizational domains) and OpenDKIM's signer and key generator, a second
# DKIM implementation for the tests (the opendkim daemon is not started).
[ -f /usr/share/publicsuffix/public_suffix_list.dat ] || need+=(publicsuffix)
command -v opendkim-genkey >/dev/null 2>&1 || need+=(opendkim-tools)
command -v opendkim >/dev/null 2>&1 || need+=(opendkim)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  # policy-rc.d keeps the postfix and rabbitmq daemons from being started by the package scripts.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
