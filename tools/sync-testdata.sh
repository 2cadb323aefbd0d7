#!/usr/bin/env bash
# Keeps butane/testdata/{corpus,bench} a copy of ../shared/corpus/butane and
# ../shared/bench. Usage: sync-testdata.sh update|check
#   update: replace the copies with ../shared's files
#   check:  fail when a copy differs from ../shared (skipped when ../shared is absent)
set -euo pipefail
cd "$(dirname "$0")/.."

shared="${SHARED_DIR:-../shared}"
pairs=("corpus/butane:butane/testdata/corpus" "bench:butane/testdata/bench")

if [[ ! -d "$shared" ]]; then
	echo "sync-testdata: $shared not found; keeping the committed copies"
	exit 0
fi

mode="${1:-check}"
status=0
for pair in "${pairs[@]}"; do
	from="$shared/${pair%%:*}"
	to="${pair##*:}"
	case "$mode" in
	update)
		rm -rf "$to"
		mkdir -p "$(dirname "$to")"
		cp -R "$from" "$to"
		chmod -R u+w "$to"
		echo "sync-testdata: $from -> $to"
		;;
	check)
		if ! diff -r "$from" "$to" >/dev/null 2>&1; then
			diff -r "$from" "$to" || true
			echo "sync-testdata: $to differs from $from: run 'make testdata' and commit"
			status=1
		fi
		;;
	*)
		echo "usage: $0 update|check" >&2
		exit 2
		;;
	esac
done
exit "$status"
