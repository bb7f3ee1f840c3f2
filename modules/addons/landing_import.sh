#!/bin/bash
# The scheduled import's program (modules/addons/dropbox.py sends what follows the first blank line
# to ECS as the task's command, bash -c, with @OMERO_CLI@ set to the OMERO.server image's CLI;
# tests/test_addon_dropbox.py runs it in bash with a stand-in CLI).
#
# Settings arrive as environment variables, the extra import arguments as positional parameters
# ("$@"), the root password as the secret OMERO_PASSWORD, where `omero login` reads it when no -w is
# given (omero-py, src/omero/plugins/sessions.py, since 5.5): a password on the command line would be
# in every process listing of the host. No "${" or "%{" below: Terraform would read them as its own
# template syntax (the test refuses them). User and group names never hold spaces or glob characters
# (the config checks them), so $login_as and $group expand unquoted.

set -o pipefail
omero=@OMERO_CLI@
lock="$LANDING_DIR/.omero-import.lock"
mkdir -p "$LANDING_DIR" "$OMERO_SESSIONDIR" || exit 1
# One import at a time: a run that finds the lock leaves the work to the running one. A lock older
# than a day was left by a task that was stopped hard, and is taken over.
if ! mkdir "$lock" 2>/dev/null; then
  if [ -z "$(find "$lock" -maxdepth 0 -mmin +1440)" ]; then echo "an import is still running; nothing to do"; exit 0; fi
  echo "taking over a stale lock"; touch "$lock"
fi
trap 'rmdir "$lock"' EXIT
login_as="-u root"
if [ "$IMPORT_USER" != root ]; then login_as="--sudo root -u $IMPORT_USER"; fi
group=""
if [ -n "$IMPORT_GROUP" ]; then group="-g $IMPORT_GROUP"; fi
"$omero" login -s "$OMERO_HOST" -p "$OMERO_PORT" $login_as $group </dev/null || { echo "cannot log in to $OMERO_HOST:$OMERO_PORT"; exit 1; }
unset OMERO_PASSWORD
imported=0; failed=0; waiting=0
while IFS= read -r -d '' entry; do
  if [ "$SETTLE_MINUTES" -gt 0 ] && [ -n "$(find "$entry" -mmin "-$SETTLE_MINUTES" -print -quit)" ]; then
    echo "later: $entry changed in the last $SETTLE_MINUTES minutes"; waiting=$((waiting + 1)); continue
  fi
  echo "importing $entry"
  if "$omero" import --exclude=clientpath "$@" "$entry"; then imported=$((imported + 1)); else failed=$((failed + 1)); echo "FAILED: $entry"; fi
done < <(find "$LANDING_DIR" -mindepth 1 -maxdepth 1 ! -name '.*' -print0 | sort -z)
"$omero" logout
echo "imported (or found already imported): $imported, failed: $failed, left for later: $waiting"
[ "$failed" -eq 0 ]
