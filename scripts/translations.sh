#!/usr/bin/env bash
# The console's words in every language: extract them from the templates and views into messages.pot, merge
# them into each crisisplan/web/translations/<locale>/LC_MESSAGES/messages.po (translate the new msgstr there),
# and compile the .mo files the app reads (committed, so a fresh clone needs no step; tests/test_console_i18n.py
# fails when a .mo is older than its .po). A new language: `pybabel init -i $POT -d $DIR -l fr`, then this.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=crisisplan/web/translations
POT=$DIR/messages.pot
pybabel extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 -k tr --no-location --omit-header --sort-output --no-wrap \
  -o "$POT" . >/dev/null
for po in "$DIR"/*/LC_MESSAGES/messages.po; do
  pybabel update -i "$POT" -d "$DIR" -l "$(basename "$(dirname "$(dirname "$po")")")" --no-fuzzy-matching \
    --ignore-obsolete --no-wrap >/dev/null
done
pybabel compile -d "$DIR" --statistics
