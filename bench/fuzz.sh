#!/usr/bin/env sh
# The long fuzzing campaign: the same schemathesis tests as CI (every service's OpenAPI and the gateway's GraphQL
# schema, in-process on a real database), with many more examples per operation.
#   bench/fuzz.sh            # 500 examples per operation
#   bench/fuzz.sh 2000       # more
set -eu
cd "$(dirname "$0")/.."
EXAMPLES="${1:-500}"
echo "fuzzing with ${EXAMPLES} examples per operation"
KAOHE_FUZZ_EXAMPLES="$EXAMPLES" exec python -m pytest -q -p no:cacheprovider \
  tests/reliability/test_fuzz_services.py tests/reliability/test_fuzz_gateway.py
