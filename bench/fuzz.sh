#!/usr/bin/env sh
# The long fuzzing campaign: the same schemathesis tests as CI (every service's OpenAPI and the gateway's GraphQL
# schema, in-process on a real database), with many more examples per operation. The per-test time limit of the
# suite is lifted: the gateway's test walks every root field in one test.
#   bench/fuzz.sh                          # 500 examples per operation
#   bench/fuzz.sh 2000                     # more
#   bench/fuzz.sh 200 -k gateway           # extra arguments go to pytest
set -eu
cd "$(dirname "$0")/.."
EXAMPLES="${1:-500}"
[ $# -gt 0 ] && shift
echo "fuzzing with ${EXAMPLES} examples per operation"
KAOHE_FUZZ_EXAMPLES="$EXAMPLES" exec python -m pytest -q -p no:cacheprovider --timeout=0 \
  tests/reliability/test_fuzz_services.py tests/reliability/test_fuzz_gateway.py "$@"
