#!/usr/bin/env bash
# Copies the test data the test suite needs from the team's wider source
# (shared/, beside the clone; see testdata/README.md) into testdata/, trimmed.
# Run it only to refresh the copy, then review `git diff --stat testdata/`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${1:-$here/../../shared}
test -d "$shared/corpus" || { echo "usage: $0 [SHARED_DIR] (no corpus/ under $shared)" >&2; exit 2; }

# Real logs: every file of the corpus, as the per-file snapshot test reads
# each one; loghub's structured CSV and template tables are not logs. Three
# sources state no licence, so they are not redistributed here (they stay in
# the wider corpus: VIGIE_TESTDATA=../shared).
unlicensed='postfix-kdent-seaglass dovecot-postfix-labserver misc-small-maillogs'
rm -rf "$here/corpus/logs" && mkdir -p "$here/corpus/logs"
prune=(); for u in $unlicensed; do prune+=(-path "./$u" -prune -o); done
(cd "$shared/corpus/logs" && find . "${prune[@]}" -type f ! -name '*_structured.csv' ! -name '*_templates.csv' -print0 |
  xargs -0 cp --parents -t "$here/corpus/logs")

# Real mail: every folder whole but the phishing collection, of which one
# message in eight is kept (with the largest set aside: none over 100 kB).
rm -rf "$here/corpus/mail" && mkdir -p "$here/corpus/mail"
(cd "$shared/corpus/mail" && find . -path ./phishing_pot -prune -o -type f -print0 |
  xargs -0 cp --parents -t "$here/corpus/mail")
(cd "$shared/corpus/mail" && find phishing_pot -type f -size -100k | sort | awk 'NR % 16 == 1' |
  tr '\n' '\0' | xargs -0 cp --parents -t "$here/corpus/mail")
cp "$shared/corpus/MANIFEST.md" "$here/corpus/MANIFEST.md"

# Each source folder gets its licence (from licenses/, or the one it ships)
# and its provenance: the MANIFEST.md section that names it.
while read -r folder licence; do
  test -d "$here/corpus/$folder" || continue
  test "$licence" = shipped || cp "$here/licenses/$licence" "$here/corpus/$folder/LICENSE"
  awk -v f="### $folder" 'index($0, f) == 1 {on = 1; print; next} /^### / {on = 0} on' \
    "$here/corpus/MANIFEST.md" > "$here/corpus/$folder/PROVENANCE.md"
done <<'LICENCES'
logs/fail2ban GPL-2.0.txt
logs/fail2ban-misc GPL-2.0.txt
logs/crowdsec-hub MIT-crowdsec-hub.txt
logs/wazuh-ruleset-tests GPL-2.0.txt
logs/ossec-testing GPL-2.0.txt
logs/sshguard ISC-sshguard.txt
logs/postfix-grok-patterns BSD-3-Clause-postfix-grok-patterns.txt
logs/loghub shipped
logs/ait-exim-mainlog GPL-3.0.txt
logs/ait-journald-json GPL-3.0.txt
logs/exim-testsuite GPL-2.0.txt
logs/mtail-testdata Apache-2.0.txt
logs/postfix-infohtreasure shipped
logs/elastic-examples-apache Apache-2.0.txt
mail/phishing_pot CC-BY-NC-4.0.txt
mail/stalwart-mail-parser Apache-2.0.txt
mail/mikel-mail MIT-mikel-mail.txt
mail/spamassassin-tdata Apache-2.0.txt
mail/notmuch-corpora GPL-3.0.txt
LICENCES

# SigmaHQ: the regression events and exactly the rules they name.
rm -rf "$here/sigma" && mkdir -p "$here/sigma"
(cd "$shared/sigma" && find regression_data -type f -print0 | xargs -0 cp --parents -t "$here/sigma")
ids=$(cd "$shared/sigma" && grep -rh -A3 '^rule_metadata' regression_data --include=info.yml |
  sed -n 's/^ *- id: *//p' | sort -u)
(cd "$shared/sigma" && for id in $ids; do
  grep -rl --include='*.yml' "^id: $id" rules rules-emerging-threats rules-threat-hunting rules-compliance rules-dfir 2>/dev/null || true
done | sort -u | tr '\n' '\0' | xargs -0 cp --parents -t "$here/sigma")
cp "$shared/sigma/LICENSE" "$shared/sigma/SOURCE.md" "$here/sigma/"
# The shared lab's sample run (logs of real servers, written for this team).
rm -rf "$here/lab" && mkdir -p "$here/lab" && cp -a "$shared/lab/sample-run" "$here/lab/"
du -s --apparent-size --block-size=1K "$here/corpus/logs" "$here/corpus/mail" "$here/sigma" "$here/lab"
