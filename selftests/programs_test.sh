#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real programs, run once natively and once under sbpipe-run: their output
# must be the same, and the sandbox's statistics must show that their
# pipes were sbpipe pipes and carried the data. SBPIPE_STRICT=1 makes any
# pipe the preload cannot move onto sbpipe fail rather than go native.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=${SBPIPE_TOP:-$(cd "$here/.." && pwd)}
run=$top/userlib/build/sbpipe-run
prog=$here/pipe_splice_prog
ksft_skip=4

echo "TAP version 13"

skip_all() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

[ -e /dev/sbpipe ] || skip_all "/dev/sbpipe is missing: sbpipe.ko not loaded"
[ -x "$run" ] || skip_all "$run is not built"
[ -x "$prog" ] || skip_all "$prog is not built"
SBPIPE_STRICT=1 "$run" -- bash -c 'echo | cat' >/dev/null 2>&1 ||
	skip_all "this sbpipe.ko cannot create pipes"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seq 1 1000000 > "$tmp/numbers"

cat > "$tmp/subprocess_demo.py" <<'EOF'
import subprocess

numbers = "".join(f"{i}\n" for i in range(5000, 0, -1)).encode()
sort = subprocess.Popen(["sort", "-n"], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE)
out, _ = sort.communicate(numbers)
tr = subprocess.run(["tr", "a-z", "A-Z"], input=b"python pipes\n",
                    capture_output=True, check=True)
print(len(out), out.split()[:3], out.split()[-1], tr.stdout.decode(), end="")
EOF

nr=0
failed=0

stat_of() {
	sed -n "s/^$1 //p" "$tmp/stats"
}

# check NAME MIN_BYTES_WRITTEN COMMAND: COMMAND is a bash command line.
check() {
	local name=$1 min_bytes=$2 cmd=$3 why="" created written

	nr=$((nr + 1))
	bash -c "$cmd" > "$tmp/native" 2>&1
	echo "exit $?" >> "$tmp/native"
	SBPIPE_STRICT=1 "$run" --stats="$tmp/stats" -- bash -c "$cmd" \
		> "$tmp/sbpipe" 2>&1
	echo "exit $?" >> "$tmp/sbpipe"

	created=$(stat_of pipes_created)
	written=$(stat_of bytes_written)
	if [ "$(tail -n 1 "$tmp/native")" != "exit 0" ]; then
		why="fails natively: $(head -n 1 "$tmp/native")"
	elif ! cmp -s "$tmp/native" "$tmp/sbpipe"; then
		why="outputs differ"
		diff "$tmp/native" "$tmp/sbpipe" | head -n 10 | sed 's/^/# /'
	elif [ -z "$created" ] || [ "$created" -lt 1 ]; then
		why="no sbpipe pipe was created"
	elif [ "$written" -lt "$min_bytes" ]; then
		why="sbpipe carried $written bytes, expected $min_bytes or more"
	fi

	if [ -n "$why" ]; then
		echo "not ok $nr $name # $why"
		failed=1
	else
		echo "ok $nr $name # $created pipes, $written bytes"
	fi
}

echo "1..6"
check shell_pipeline 1000000 'seq 1 200000 | sort -rn | head'
check process_substitution 7000 'diff <(seq 1000) <(seq 1000) && echo same'
check gzip_gunzip_sha256sum $(stat -c %s "$tmp/numbers") \
	"gzip -c < '$tmp/numbers' | gunzip -c | sha256sum"
check python_subprocess 23000 "python3 '$tmp/subprocess_demo.py'"
check f_setpipe_sz_splice_tee_vmsplice $(stat -c %s "$tmp/numbers") \
	"'$prog' < '$tmp/numbers' | sha256sum
	 '$prog' < '$tmp/numbers' > '$tmp/out'; sed -n '1,6p;\$p' '$tmp/out'"

# libc's own pipes (popen) must stay native: no sbpipe pipe at all.
nr=$((nr + 1))
"$run" --stats="$tmp/stats" -- "$prog" --popen > "$tmp/sbpipe" 2>&1
if [ "$(cat "$tmp/sbpipe")" = popen ] && [ "$(stat_of pipes_created)" = 0 ]; then
	echo "ok $nr popen_pipes_stay_native"
else
	echo "not ok $nr popen_pipes_stay_native # $(stat_of pipes_created) sbpipe pipes"
	failed=1
fi

exit $failed
