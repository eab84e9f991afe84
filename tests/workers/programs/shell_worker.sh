#!/bin/sh
# A worker that is not Python and writes no events: Headroom learns only its exit status and
# output. Takes --name=value arguments (as Headroom passes swept parameters), echoes each on
# stdout, writes a line on stderr, and exits 0; with --fail=1 (or --fail=true) it writes a
# message on stderr and exits 1.
fail=0
for argument in "$@"; do
    case "$argument" in
        --fail=1 | --fail=true | --fail=True) fail=1 ;;
    esac
    echo "shell worker: argument $argument"
done
echo "shell worker: run folder ${HEADROOM_RUN_DIR:-(not under Headroom)}"
echo "shell worker: a line on stderr" >&2
if [ "$fail" = 1 ]; then
    echo "shell worker: failing as asked (--fail)" >&2
    exit 1
fi
exit 0
