# ck8s-gen off-site sync with a wipe guard (POSIX sh; runs under busybox in the rclone image).
# Arguments: the rclone command line, `sync SRC DST FLAG...`. Environment: MAX_DELETE_PERCENT.
# Before anything is deleted the two listings are compared. When the source is empty while the
# copy is not, or the sync would delete more than MAX_DELETE_PERCENT % of the copy's objects,
# nothing runs and the Job fails (exit 3, OffsiteSyncFailed fires): a wiped or mostly emptied
# primary must not empty its off-site copy. Otherwise rclone runs with --max-delete set to the
# allowance, so deletions that appear between the listing and the sync cannot exceed it either.
set -eu
src="$2"
dst="$3"
# Plain files (no pipes) so that a failed listing fails the Job (POSIX sh has no pipefail).
rclone lsf -R --files-only --fast-list --log-level=ERROR "$src" >/tmp/source.list
rclone lsf -R --files-only --fast-list --log-level=ERROR "$dst" >/tmp/copy.list
source_n=$(awk 'END { print NR }' /tmp/source.list)
copy_n=$(awk 'END { print NR }' /tmp/copy.list)
# (FILENAME, not NR == FNR: the source list may be empty.)
gone=$(awk 'FILENAME == ARGV[1] { seen[$0] = 1; next } !($0 in seen) { n++ } END { print n + 0 }' /tmp/source.list /tmp/copy.list)
allowed=$((copy_n * MAX_DELETE_PERCENT / 100))
echo "wipe guard: source $source_n objects, off-site copy $copy_n objects, $gone to delete (allowed: $allowed, $MAX_DELETE_PERCENT %)"
if [ "$copy_n" -gt 0 ] && { [ "$source_n" -eq 0 ] || [ "$gone" -gt "$allowed" ]; }; then
  echo "ERROR : wipe guard: refusing to sync: it would delete $gone of the $copy_n objects of the off-site copy $dst (source $src has $source_n); more than $MAX_DELETE_PERCENT % means the primary was wiped or damaged. Nothing was deleted. Investigate the primary bucket; if the deletion is intended, raise replication.offsite.maxDeletePercent for one run." >&2
  exit 3
fi
exec rclone "$@" --max-delete="$allowed"
