#!/usr/bin/env bash
# Installs what the pipeline and its tests need on Debian/Ubuntu, once: RabbitMQ, swaks, Postfix's
# smtp-source/smtp-sink, Prometheus (its prometheus and promtool binaries for the observability tests),
# Python 3, OpenSSL and OpenDKIM. No daemon of these packages is started. Safe to run again.
set -euo pipefail

need=()
command -v rabbitmq-server >/dev/null 2>&1 || need+=(rabbitmq-server)
command -v swaks >/dev/null 2>&1 || need+=(swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl libdigest-hmac-perl)
command -v smtp-source >/dev/null 2>&1 || need+=(postfix)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
# tests/EmailPipeline.Observability.Tests: promtool checks the alert rules, prometheus scrapes the pipeline.
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need+=(prometheus)
# Policy: OpenDKIM (opendkim-testmsg, opendkim's test mode and opendkim-genkey), a second DKIM implementation for
# the tests (the opendkim daemon is not started). The Public Suffix List ships with the Policy service.
{ [ -x /usr/sbin/opendkim-testmsg ] || command -v opendkim-testmsg >/dev/null 2>&1; } && command -v opendkim-genkey >/dev/null 2>&1 || need+=(opendkim-tools)
command -v opendkim >/dev/null 2>&1 || [ -x /usr/sbin/opendkim ] || need+=(opendkim)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  # policy-rc.d (exit 101: "action forbidden") keeps the package scripts from starting the postfix, rabbitmq
  # and prometheus daemons; tests and run.sh start what they need themselves. A policy-rc.d already in place
  # (container images ship one) is left alone; one made here is removed afterwards.
  made_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    made_policy=yes
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || status=$?
  [ "$made_policy" = no ] || $SUDO rm -f /usr/sbin/policy-rc.d
  [ "$status" -eq 0 ] || exit "$status"
  # With systemd the unit is still enabled for the next boot; keep Prometheus a tool, not a service.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
  fi
fi
