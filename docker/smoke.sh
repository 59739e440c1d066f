#!/usr/bin/env bash
# The container deployment built and run for real, end to end, with podman (runc) and podman-compose:
#
#   sudo bash docker/smoke.sh [--remove-images] [--keep] [--rebuild-bases]
#
# From nothing: makes the local base images (debootstrap, no image registry needed) and the stand-ins for
# the public images compose.yaml names (PostgreSQL: Debian's; MinIO and mc: moto's S3 server from PyPI),
# builds the kaohe image from docker/Dockerfile (BASE_IMAGE overridden; its default stays
# python:3.11-slim), checks the image (non-root, no compiler, HEALTHCHECK, no secret, < 300 MiB), starts
# the stack from docker/compose.yaml as it is, the stand-ins named through its image variables
# (POSTGRES_IMAGE, MINIO_IMAGE, MC_IMAGE): PostgreSQL, the object store and its bucket, the one-shot
# migrate, the three services, the gateway, each waited for through its health check; runs `kaohe demo`
# in the gateway's container, checks the gateway's health and one ranking, restarts a service whose
# outbox events are pending and checks that they arrive, scales each service to two replicas, uploads an
# attachment and downloads it through the gateway, runs bench/load.py against the gateway, then tears
# everything down (containers, volumes and network; the images it made too with --remove-images; nothing
# with --keep). Its last line:
#
#   containers: image_mib=… build_s=… ready_s=… demo=ok replicas=2 load_errors=0
#
# Not run by CI (it takes several minutes); run it by hand before a release. Needs root on Debian 12
# (bookworm) or a derivative; installs podman, runc and debootstrap with apt-get when missing, and
# podman-compose (>= 1.3) with pip into its work folder. This machine's quirks are handled here: crun
# fails under hybrid cgroups (runc is used), the default ulimits are lowered, and no systemd runs health
# checks on a timer (the script runs them with `podman healthcheck run`).
#
# Settings (environment): KAOHE_SMOKE_DIR (work folder, default /var/tmp/kaohe-smoke),
# KAOHE_SMOKE_PORT (the gateway on 127.0.0.1, default 18000), KAOHE_SMOKE_LOAD_MINUTES (default 1),
# KAOHE_SMOKE_MIRROR (Debian mirror for debootstrap, default deb.debian.org).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${KAOHE_SMOKE_DIR:-/var/tmp/kaohe-smoke}
PORT=${KAOHE_SMOKE_PORT:-18000}
LOAD_MINUTES=${KAOHE_SMOKE_LOAD_MINUTES:-1}
MIRROR=${KAOHE_SMOKE_MIRROR:-http://deb.debian.org/debian}
PROJECT=kaohe-smoke
DEBIAN_IMAGE=localhost/kaohe-smoke/debian:bookworm
PYTHON_IMAGE=localhost/kaohe-smoke/python:3.11
POSTGRES_IMAGE=localhost/kaohe-smoke/postgres:bookworm   # Debian 12's PostgreSQL 15 (compose's default: postgres:18)
S3_IMAGE=localhost/kaohe-smoke/s3:moto   # stands for minio/minio and minio/mc
KAOHE_IMAGE=localhost/kaohe-smoke/kaohe:0.1.0
REMOVE_IMAGES=0 KEEP=0 REBUILD_BASES=0
for arg in "$@"; do
  case $arg in
    --remove-images) REMOVE_IMAGES=1 ;;
    --keep) KEEP=1 ;;
    --rebuild-bases) REBUILD_BASES=1 ;;
    *) echo "usage: $0 [--remove-images] [--keep] [--rebuild-bases]" >&2; exit 2 ;;
  esac
done

say() { printf '[smoke %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (podman builds and runs the containers as root here)"
mkdir -p "$WORK"
LOGS=$WORK/logs
rm -rf "$LOGS" && mkdir -p "$LOGS"

# --- tools -------------------------------------------------------------------------------------------
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  apt-get update -q >"$LOGS/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$LOGS/apt.log" 2>&1 \
    || die "apt-get install ${missing[*]} (see $LOGS/apt.log)"
fi
TOOLS=$WORK/tools
if [ ! -x "$TOOLS/bin/podman-compose" ] || ! "$TOOLS/bin/python" -c "import httpx, psutil, fastapi" 2>/dev/null; then
  say "installing podman-compose and kaohe's dependencies (for bench/load.py) into $TOOLS"
  rm -rf "$TOOLS" && python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q "podman-compose>=1.3" >"$LOGS/pip.log" 2>&1 || die "pip install podman-compose"
  "$TOOLS/bin/pip" install -q "$ROOT" >>"$LOGS/pip.log" 2>&1 || die "pip install kaohe"
fi
PY=$TOOLS/bin/python

# runc (crun fails here: "cgroups in hybrid mode") and ulimits a container can get
export CONTAINERS_CONF=$WORK/containers.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
EOF

# --- local base images ---------------------------------------------------------------------------------
if [ "$REBUILD_BASES" = 1 ]; then podman rmi -f "$S3_IMAGE" "$POSTGRES_IMAGE" "$PYTHON_IMAGE" "$DEBIAN_IMAGE" >/dev/null 2>&1 || true; fi
if ! podman image exists "$DEBIAN_IMAGE"; then
  say "debootstrap: a minimal Debian bookworm for the base images"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 \
    || die "debootstrap (see $LOGS/debootstrap.log)"
  # as the slim images: no package lists, caches, documentation or translations
  rm -rf "$WORK"/rootfs/var/lib/apt/lists/* "$WORK"/rootfs/var/cache/apt/* "$WORK"/rootfs/usr/share/doc/* \
         "$WORK"/rootfs/usr/share/man/* "$WORK"/rootfs/usr/share/locale/* "$WORK"/rootfs/var/log/*
  tar -C "$WORK/rootfs" -c . | podman import -q --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$WORK/rootfs"
fi
# the build context of the stand-ins: their files, and the certificate authorities the host added
CONTEXT=$WORK/context
rm -rf "$CONTEXT" && mkdir -p "$CONTEXT/ca"
cp "$ROOT"/docker/smoke/postgres-entrypoint.sh "$ROOT"/docker/smoke/s3-standin.py "$ROOT"/docker/smoke/mc-standin.py "$CONTEXT/"
find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$CONTEXT/ca/" \; 2>/dev/null || true
for pair in "$PYTHON_IMAGE:python" "$POSTGRES_IMAGE:postgres" "$S3_IMAGE:s3"; do
  image=${pair%:*} name=${pair##*:}
  if ! podman image exists "$image"; then
    say "building $image"
    podman build -q --network host --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" -f "$ROOT/docker/smoke/$name.Containerfile" \
      -t "$image" "$CONTEXT" >"$LOGS/build-$name.log" 2>&1 || die "podman build $image (see $LOGS/build-$name.log)"
  fi
done

# --- the kaohe image -------------------------------------------------------------------------------------
say "building $KAOHE_IMAGE from docker/Dockerfile (BASE_IMAGE=$PYTHON_IMAGE)"
start=$(date +%s.%N)
podman build --format docker --network host --build-arg "BASE_IMAGE=$PYTHON_IMAGE" -f "$ROOT/docker/Dockerfile" \
  --ignorefile "$ROOT/docker/Dockerfile.dockerignore" -t "$KAOHE_IMAGE" "$ROOT" >"$LOGS/build-kaohe.log" 2>&1 \
  || die "podman build kaohe (see $LOGS/build-kaohe.log)"
build_s=$("$PY" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
image_mib=$(podman image inspect --format '{{.Size}}' "$KAOHE_IMAGE" | "$PY" -c "import sys; print(round(int(sys.stdin.read()) / 1048576))")
say "image: $image_mib MiB, built in $build_s s"
[ "$image_mib" -lt 300 ] || die "the image is $image_mib MiB (limit 300)"
[ "$(podman image inspect --format '{{.Config.User}}' "$KAOHE_IMAGE")" = "10001:10001" ] || die "the image does not run as 10001"
podman image inspect --format '{{json .Config.Healthcheck}}' "$KAOHE_IMAGE" | grep -q '"kaohe","healthcheck"' \
  || die "the image has no HEALTHCHECK running kaohe healthcheck"
if podman image inspect --format '{{json .Config.Env}}' "$KAOHE_IMAGE" | grep -Eiq 'SECRET|PASSWORD'; then
  die "the image's environment names a secret"
fi
podman run --rm --no-healthcheck --network none --entrypoint /bin/sh "$KAOHE_IMAGE" -c \
  'test "$(id -u)" = 10001 || exit 1; for t in gcc cc c++ make ld as; do command -v $t && exit 1; done; exit 0' \
  >"$LOGS/image-checks.log" 2>&1 || die "the image runs as root or carries build tools: $(cat "$LOGS/image-checks.log")"
podman run --rm --no-healthcheck --network none "$KAOHE_IMAGE" --help >/dev/null || die "kaohe --help in the image"

# --- the stack ---------------------------------------------------------------------------------------
ENV_FILE=$WORK/smoke.env
secret() { "$PY" -c "import secrets; print(secrets.token_urlsafe(48))"; }
JWT_SECRET=$(secret)
umask 077
cat >"$ENV_FILE" <<EOF
POSTGRES_PASSWORD=$(secret)
MINIO_ROOT_USER=kaohe
MINIO_ROOT_PASSWORD=$(secret)
KAOHE_SERVICE_TOKEN_SECRET=$(secret)
KAOHE_JWT_SECRET=$JWT_SECRET
KAOHE_JWT_ISSUER=https://idp.smoke.invalid/
KAOHE_JWT_AUDIENCE=kaohe
IMAGE=$KAOHE_IMAGE
POSTGRES_IMAGE=$POSTGRES_IMAGE
MINIO_IMAGE=$S3_IMAGE
MC_IMAGE=$S3_IMAGE
GATEWAY_PUBLISH_PORT=127.0.0.1:$PORT
EOF
umask 022
set -a; . "$ENV_FILE"; set +a   # podman-compose interpolates from the environment
compose() {
  "$TOOLS/bin/podman-compose" --project-name "$PROJECT" -f "$ROOT/docker/compose.yaml" "$@"
}
teardown() {
  local code=$?
  if [ "$KEEP" = 1 ]; then
    say "--keep: the stack stays up (gateway http://127.0.0.1:$PORT); remove it with: CONTAINERS_CONF=$CONTAINERS_CONF $TOOLS/bin/podman-compose --project-name $PROJECT -f docker/compose.yaml down -v (with the variables of $ENV_FILE)"
    return
  fi
  for ctr in $(containers ''); do podman logs "$ctr" >"$LOGS/$ctr.log" 2>&1 || true; done
  compose down -v -t 10 >"$LOGS/down.log" 2>&1 || say "compose down failed (see $LOGS/down.log)"
  remove_leftovers
  if [ "$REMOVE_IMAGES" = 1 ]; then
    podman rmi -f "$KAOHE_IMAGE" "$S3_IMAGE" "$POSTGRES_IMAGE" "$PYTHON_IMAGE" "$DEBIAN_IMAGE" >/dev/null 2>&1 || true
    podman image prune -f >/dev/null 2>&1 || true
  fi
  [ $code = 0 ] || say "logs in $LOGS"
}
remove_leftovers() {  # podman-compose's down removes only the first replica of a scaled service
  local left
  left=$(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT")
  [ -z "$left" ] || podman rm -f -t 5 $left >/dev/null 2>&1 || true
  podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network rm -f "${PROJECT}_default" >/dev/null 2>&1 || true
}
containers() {  # the containers of one compose service (all of the project's with '')
  local filter=(--filter "label=io.podman.compose.project=$PROJECT")
  [ -n "$1" ] && filter+=(--filter "label=com.docker.compose.service=$1")
  podman ps -a "${filter[@]}" --format '{{.Names}}' | sort
}
wait_healthy() {  # run each container's health check until it passes (no systemd timer runs them here)
  local service=$1 timeout=${2:-180} ctr deadline=$(( $(date +%s) + ${2:-180} ))
  for ctr in $(containers "$service"); do
    until podman healthcheck run "$ctr" >/dev/null 2>&1; do
      [ "$(podman inspect --format '{{.State.Running}}' "$ctr")" = true ] || die "$ctr stopped: $(podman logs --tail 5 "$ctr" 2>&1)"
      [ "$(date +%s)" -lt "$deadline" ] || die "$ctr not healthy after ${timeout} s: $(podman logs --tail 5 "$ctr" 2>&1)"
      sleep 1
    done
  done
}
compose down -v -t 5 >/dev/null 2>&1 || true   # what a previous run may have left
remove_leftovers
# a replica or network left from an earlier run would answer to the services' names on the new network
[ -z "$(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT")" ] || die "containers of $PROJECT remain"
! podman network exists "${PROJECT}_default" || die "the network ${PROJECT}_default remains"
trap teardown EXIT

# compose.yaml's depends_on conditions, in order: podman-compose waits on health states that only a
# systemd timer would update here, so each step is started with --no-deps and waited for explicitly.
say "starting the stack (project $PROJECT)"
start=$(date +%s.%N)
compose up -d --no-build --no-deps postgres >"$LOGS/up.log" 2>&1 || die "compose up postgres (see $LOGS/up.log)"
wait_healthy postgres 120
compose up -d --no-build --no-deps minio >>"$LOGS/up.log" 2>&1 || die "compose up minio"
wait_healthy minio 120
one_shot() {  # start a run-once service and wait for it to exit 0
  compose up -d --no-build --no-deps "$1" >>"$LOGS/up.log" 2>&1 || die "compose up $1"
  local ctr
  ctr=$(containers "$1")
  [ "$(podman wait "$ctr")" = 0 ] || die "$1 failed: $(podman logs --tail 20 "$ctr" 2>&1)"
}
one_shot minio-bucket
one_shot migrate
compose up -d --no-build --no-deps evidence scoring ranking >>"$LOGS/up.log" 2>&1 || die "compose up services"
for service in evidence scoring ranking; do wait_healthy "$service"; done
compose up -d --no-build --no-deps gateway >>"$LOGS/up.log" 2>&1 || die "compose up gateway"
wait_healthy gateway
ready_s=$("$PY" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
say "stack ready in $ready_s s: $(containers '' | tr '\n' ' ')"

# --- demo, health, one ranking -------------------------------------------------------------------------
gateway_ctr=$(containers gateway)
say "kaohe demo (in $gateway_ctr)"
podman exec "$gateway_ctr" kaohe demo >"$LOGS/demo.log" 2>&1 || die "kaohe demo: $(tail -5 "$LOGS/demo.log")"
demo=ok
"$PY" "$ROOT/docker/smoke/check_stack.py" ranking "http://127.0.0.1:$PORT" || die "gateway health or ranking"

# --- a restarted service loses nothing ---------------------------------------------------------------
say "restart: ranking stopped while scoring's events for it wait in the outbox, then started"
CHECK=("$PY" "$ROOT/docker/smoke/check_stack.py")
"${CHECK[@]}" prepare "http://127.0.0.1:$PORT" "$WORK/restart.json" >&2 || die "restart: set-up"
pending() {  # scoring's events for ranking not yet delivered
  podman exec "$(containers postgres)" psql -U kaohe -d kaohe -tAc \
    "SELECT count(*) FROM scoring.outbox_event WHERE destination = 'ranking' AND delivered_at IS NULL"
}
ranking_ctr=$(containers ranking)
podman stop -t 10 "$ranking_ctr" >>"$LOGS/restart.log" 2>&1 || die "podman stop $ranking_ctr (see $LOGS/restart.log)"
"${CHECK[@]}" submit "http://127.0.0.1:$PORT" "$WORK/restart.json" >&2 || die "restart: evidence"
for _ in $(seq 60); do [ "$(pending)" -gt 0 ] && break; sleep 1; done
held=$(pending)
[ "$held" -gt 0 ] || die "restart: no event for ranking waited while it was down"
podman start "$ranking_ctr" >>"$LOGS/restart.log" 2>&1 || die "podman start $ranking_ctr (see $LOGS/restart.log)"
wait_healthy ranking
"${CHECK[@]}" verify "http://127.0.0.1:$PORT" "$WORK/restart.json" >&2 || die "restart: ranking did not catch up"
for _ in $(seq 180); do [ "$(pending)" = 0 ] && break; sleep 1; done
[ "$(pending)" = 0 ] || die "restart: $(pending) events for ranking still undelivered"
say "restart: $held events held while ranking was down, all delivered after its restart"

# --- two replicas of each service, and load ---------------------------------------------------------
say "scaling evidence, scoring and ranking to 2 replicas"
for service in evidence scoring ranking; do
  compose up -d --no-build --no-deps --scale "$service=2" "$service" >>"$LOGS/up.log" 2>&1 || die "scale $service"
done
for service in evidence scoring ranking; do
  [ "$(containers "$service" | wc -l)" = 2 ] || die "$service has $(containers "$service" | wc -l) containers, not 2"
  wait_healthy "$service"
done
replicas=2
cpu_ns() {  # each container's CPU time so far, "name nanoseconds" lines
  podman stats --no-stream --format '{{.Name}} {{.CPUNano}}' \
    $(podman ps --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}') | sort
}
cpu_ns >"$WORK/cpu-before.txt"
say "an attachment through the gateway: uploaded to one of the evidence replicas, downloaded (object store)"
"${CHECK[@]}" attachment "http://127.0.0.1:$PORT" "$WORK/restart.json" >&2 || die "attachment upload or download"
say "bench/load.py --minutes $LOAD_MINUTES against the gateway"
"$PY" "$ROOT/bench/load.py" --minutes "$LOAD_MINUTES" --gateway "http://127.0.0.1:$PORT" --jwt-secret "$JWT_SECRET" \
  >"$LOGS/load.log" 2>&1 || die "bench/load.py: $(tail -5 "$LOGS/load.log")"
load_line=$(grep '^load: ' "$LOGS/load.log" | tail -1)
[ -n "$load_line" ] || die "bench/load.py printed no load: line"
say "$load_line"
load_errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$load_line")
cpu_ns >"$WORK/cpu-after.txt"
# CPU seconds each compose service used during the load, summed over its replicas (for "Scaling out")
"$PY" - "$WORK/cpu-before.txt" "$WORK/cpu-after.txt" "$load_line" <<'EOF' >&2 || true
import re, sys
def read(path):
    return {line.split()[0]: int(line.split()[1]) for line in open(path) if line.strip()}
before, after = read(sys.argv[1]), read(sys.argv[2])
requests = int(re.search(r"requests=(\d+)", sys.argv[3]).group(1))
used = {}
for name, ns in after.items():
    service = re.sub(r"^kaohe-smoke_|_\d+$", "", name)
    used[service] = used.get(service, 0) + (ns - before.get(name, 0)) / 1e9
print("[smoke] cpu during the load: " + " ".join(f"{k}={v:.1f}s" for k, v in sorted(used.items()))
      + f" total={sum(used.values()):.1f}s requests={requests}"
      + " per_1000_requests: " + " ".join(f"{k}={1000 * v / requests:.2f}s" for k, v in sorted(used.items())))
EOF
for service in evidence scoring ranking; do
  for ctr in $(containers "$service"); do
    served=$(podman exec "$ctr" kaohe healthcheck >/dev/null 2>&1 && echo up || echo down)
    [ "$served" = up ] || die "$ctr is not ready after the load"
  done
done

echo "containers: image_mib=$image_mib build_s=$build_s ready_s=$ready_s demo=$demo replicas=$replicas load_errors=$load_errors"
[ "$load_errors" = 0 ] || exit 1
