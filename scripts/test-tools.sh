#!/usr/bin/env bash
# npm test's pretest: the system tools some tests drive, from Debian packages.
#   /usr/bin/chromium  the dashboard tests (test/e2e/dashboard.test.ts)
#   /usr/bin/aws (v2)  the AWS CLI tests (test/e2e/aws-cli.test.ts); `aws` on PATH may be a v1 elsewhere
# Missing and root: installs them with apt. Missing and not root: one line saying what to run, and stops.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
aws_v2() { [[ "$(/usr/bin/aws --version 2>/dev/null || true)" == aws-cli/2.* ]]; }
aws_v2 || missing+=(awscli)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "npm test needs ${missing[*]} (Debian packages); run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "pretest: installing ${missing[*]} (Debian packages) for the dashboard and AWS CLI tests" >&2
# Another apt run (unattended upgrades, a parallel job) may hold the lock for a while: wait for it.
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
aws_v2 || { echo "pretest: /usr/bin/aws is not the AWS CLI v2 after installing awscli" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "pretest: /usr/bin/chromium is still missing after installing chromium" >&2; exit 1; }
