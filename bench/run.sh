#!/usr/bin/env bash
# Load benchmark of authgraph on SQLite against a bare axum hello world and raw argon2id,
# from a clean checkout: `bench/run.sh`. See bench/README.md.
#
# The servers run on CPU $BENCH_SERVER_CPU (taskset), wrk and the helpers on
# $BENCH_CLIENT_CPU. Each scenario: a warm-up run (discarded), then a measured run; the
# whole set is repeated $BENCH_ROUNDS times, interleaved, and medians are reported (ratios
# are medians of per-round ratios). Results land in $BENCH_OUT (results.md, raw.tsv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-10}            # seconds measured per scenario
WARMUP=${BENCH_WARMUP:-3}                 # seconds of warm-up before each
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-32}            # wrk -c for everything but login
LOGIN_CONNS=${BENCH_LOGIN_CONNECTIONS:-4} # wrk -c for login (argon2 bound)
HASH_SECONDS=${BENCH_HASH_SECONDS:-5}     # raw argon2id throughput run
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
PORT=${BENCH_PORT:-18080}
HELLO_PORT=${BENCH_HELLO_PORT:-18081}
OUT=${BENCH_OUT:-$ROOT/target/bench-run}
# The server's argon2 parameters (authgraph's defaults: OWASP's 19 MiB, t=2, p=1).
M_KIB=${AUTHGRAPH_ARGON2_MEMORY_KIB:-19456}
T_COST=${AUTHGRAPH_ARGON2_ITERATIONS:-2}
P_COST=${AUTHGRAPH_ARGON2_PARALLELISM:-1}
PASSWORD='Tr0ub4dor&3-horse-staple'

say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  say "installing wrk (Debian package)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi
for tool in taskset curl awk; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done

say "building (release profile)"
cargo build --release -q -p authgraph --bin authgraph
cargo build --release -q -p authgraph-hello --bin authgraph-hello --example seed
# BENCH_AUTHGRAPH_BIN: measure another build of the server instead (A/B comparisons).
AUTHGRAPH=${BENCH_AUTHGRAPH_BIN:-$ROOT/target/release/authgraph}
HELLO=$ROOT/target/release/authgraph-hello
SEED=$ROOT/target/release/examples/seed

# --- data --------------------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT/media"
DB_URL="sqlite://$OUT/bench.db?mode=rwc"
SECRET=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
seed() { taskset -c "$CLIENT_CPU" "$SEED" "$@" --database-url "$DB_URL" --jwt-secret "$SECRET"; }

say "seeding $OUT/bench.db"
seed setup --out "$OUT" --users 60 --password "$PASSWORD" \
  --memory-kib "$M_KIB" --iterations "$T_COST" --parallelism "$P_COST" >&2
ADMIN_TOKEN=$(cat "$OUT/admin.jwt")
LOADTEST_ID=$(cat "$OUT/loadtest.id")

# --- servers -----------------------------------------------------------------------------
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.2
  done
  die "no answer from $1"
}

say "starting authgraph-hello on CPU $SERVER_CPU (port $HELLO_PORT)"
taskset -c "$SERVER_CPU" "$HELLO" --bind "127.0.0.1:$HELLO_PORT" 2>"$OUT/hello.log" &
HELLO_PID=$!
PIDS+=("$HELLO_PID")
wait_for "http://127.0.0.1:$HELLO_PORT/"

# The per-IP rate limits are off: every request comes from 127.0.0.1 and the point is
# the capacity behind them, not the limiter (with 0 it is off).
say "starting authgraph on CPU $SERVER_CPU (port $PORT)"
DATABASE_URL="$DB_URL" AUTHGRAPH_JWT_SECRET="$SECRET" AUTHGRAPH_BIND="127.0.0.1:$PORT" \
  AUTHGRAPH_MEDIA_DIR="$OUT/media" AUTHGRAPH_ACCESS_TOKEN_TTL=7200 \
  AUTHGRAPH_ARGON2_MEMORY_KIB="$M_KIB" AUTHGRAPH_ARGON2_ITERATIONS="$T_COST" \
  AUTHGRAPH_ARGON2_PARALLELISM="$P_COST" \
  AUTHGRAPH_RATE_LIMIT_LOGIN=0 AUTHGRAPH_RATE_LIMIT_REFRESH=0 \
  taskset -c "$SERVER_CPU" "$AUTHGRAPH" serve 2>"$OUT/server.log" &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_for "http://127.0.0.1:$PORT/readyz"
# Hashing threads the server runs: AUTHGRAPH_HASH_CONCURRENCY, or its CPUs (1 when pinned).
HASH_THREADS=${AUTHGRAPH_HASH_CONCURRENCY:-0}
[ "$HASH_THREADS" -gt 0 ] || HASH_THREADS=$(taskset -c "$SERVER_CPU" nproc)

# --- one request of each kind, checked ------------------------------------------------------
BASE="http://127.0.0.1:$PORT"
ME_QUERY='{"query":"{ me { id username email } }"}'
PAGE_QUERY='{"query":"{ users(first: 50) { nodes { id username email groups { id name } } pageInfo { hasNextPage endCursor } } }"}'
check() { # name expected-substring curl-args...
  local name=$1 expect=$2; shift 2
  local body
  body=$(curl -sS -w '\n%{http_code}' "$@")
  local status=${body##*$'\n'}
  body=${body%$'\n'*}
  [ "$status" = 200 ] || die "$name: HTTP $status: $body"
  case $body in *'"errors"'*) die "$name: $body" ;; esac
  case $body in *"$expect"*) ;; *) die "$name: no $expect in $body" ;; esac
}
auth=(-H "Authorization: Bearer $ADMIN_TOKEN")
json=(-H "Content-Type: application/json")
check "GET /api/me/" '"username":"admin"' "${auth[@]}" "$BASE/api/me/"
check "GraphQL me" '"username":"admin"' "${auth[@]}" "${json[@]}" -d "$ME_QUERY" "$BASE/graphql"
check "GraphQL users page" '"member047"' "${auth[@]}" "${json[@]}" -d "$PAGE_QUERY" "$BASE/graphql"
check "login" '"refresh_token"' "${json[@]}" \
  -d "{\"username\":\"loadtest\",\"password\":\"$PASSWORD\"}" "$BASE/api/login/"
check "hello" 'Hello' "http://127.0.0.1:$HELLO_PORT/"

# SQL statements per request, from the server's own counter: `me` needs nothing but the
# auth lookup, so the page's own statements are the difference.
statements() { curl -sf "$BASE/metrics" | awk '/^authgraph_db_statements_total/ { print $2 }'; }
before=$(statements)
check "GraphQL me" '"username":"admin"' "${auth[@]}" "${json[@]}" -d "$ME_QUERY" "$BASE/graphql"
AUTH_STATEMENTS=$(( $(statements) - before ))
before=$(statements)
check "GraphQL users page" '"member047"' "${auth[@]}" "${json[@]}" -d "$PAGE_QUERY" "$BASE/graphql"
PAGE_STATEMENTS=$(( $(statements) - before - AUTH_STATEMENTS ))
say "the 50-user page with groups: $PAGE_STATEMENTS SQL statements + $AUTH_STATEMENTS for the auth lookup"

# --- load --------------------------------------------------------------------------------
export BENCH_LUA_DIR="$ROOT/bench" BENCH_USER=loadtest BENCH_PASSWORD="$PASSWORD"
RAW="$OUT/raw.tsv"
printf 'round\tscenario\tconnections\trps\tp50_us\tp99_us\terrors\texhausted\n' >"$RAW"

wrk_run() { # seconds connections script url [script args...] -> RESULT fields on stdout
  local seconds=$1 conns=$2 script=$3 url=$4; shift 4
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"${seconds}s" --timeout 10s \
    -s "$ROOT/bench/$script" "$url" -- "$@" | awk '/^RESULT/ { $1 = ""; print }'
}
field() { # name "k=v k=v ..." -> v
  local pair
  for pair in $2; do [ "${pair%%=*}" = "$1" ] && { echo "${pair#*=}"; return; }; done
  echo 0
}
record() { # round scenario connections "RESULT fields"
  local r=$4 errors
  errors=$(( $(field non2xx "$r") + $(field graphql_errors "$r") + $(field socket_errors "$r") ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(field rps "$r")" \
    "$(field p50_us "$r")" "$(field p99_us "$r")" "$errors" "$(field exhausted "$r")" >>"$RAW"
  printf '    %-14s rps=%-9s p50=%sus p99=%sus errors=%s\n' "$2" "$(field rps "$r")" \
    "$(field p50_us "$r")" "$(field p99_us "$r")" "$errors" >&2
}
POOL_N=0
pool() { # count -> file of fresh refresh tokens (made while no load runs)
  POOL_N=$((POOL_N + 1))
  local file="$OUT/refresh-$POOL_N.txt"
  seed refresh-pool --user-id "$LOADTEST_ID" --count "$1" --file "$file" >/dev/null
  echo "$file"
}
REFRESH_GUESS=${BENCH_REFRESH_POOL:-0}     # tokens for a measured run; 0 = from the warm-up
scenario() { # round name connections script url
  local round=$1 name=$2 conns=$3 script=$4 url=$5 result
  if [ "$name" = refresh ]; then
    local warm_file run_file warm_rps need
    warm_file=$(pool $(( WARMUP * 6000 + 2000 )))
    warm_rps=$(field rps "$(wrk_run "$WARMUP" "$conns" "$script" "$url" "$warm_file" 1)")
    need=$(awk -v r="$warm_rps" -v d="$DURATION" 'BEGIN { printf "%d", r * d * 1.6 + 2000 }')
    [ "$REFRESH_GUESS" -gt 0 ] && need=$REFRESH_GUESS
    run_file=$(pool "$need")
    result=$(wrk_run "$DURATION" "$conns" "$script" "$url" "$run_file" 1)
  else
    wrk_run "$WARMUP" "$conns" "$script" "$url" >/dev/null
    result=$(wrk_run "$DURATION" "$conns" "$script" "$url")
  fi
  record "$round" "$name" "$conns" "$result"
}

for round in $(seq 1 "$ROUNDS"); do
  say "round $round of $ROUNDS (${WARMUP}s warm-up + ${DURATION}s each)"
  scenario "$round" hello "$CONNS" hello.lua "http://127.0.0.1:$HELLO_PORT"
  BENCH_TOKEN=$ADMIN_TOKEN scenario "$round" rest_me "$CONNS" rest_me.lua "$BASE"
  BENCH_TOKEN=$ADMIN_TOKEN scenario "$round" graphql_me "$CONNS" graphql_me.lua "$BASE"
  BENCH_TOKEN=$ADMIN_TOKEN scenario "$round" users_page "$CONNS" graphql_users.lua "$BASE"
  scenario "$round" login "$LOGIN_CONNS" login.lua "$BASE"
  scenario "$round" refresh "$CONNS" refresh.lua "$BASE"
  hashes=$(taskset -c "$SERVER_CPU" "$HELLO" --hash-throughput --seconds "$HASH_SECONDS" \
    --memory-kib "$M_KIB" --iterations "$T_COST" --parallelism "$P_COST" |
    awk -F= '/^RESULT/ { print $2 }')
  printf '%s\targon2id_raw\t1\t%s\t0\t0\t0\t0\n' "$round" "$hashes" >>"$RAW"
  printf '    %-14s %s hashes/s on one core\n' argon2id_raw "$hashes" >&2
done

HELLO_HWM_KIB=$(awk '/^VmHWM/ { print $2 }' "/proc/$HELLO_PID/status")
SOLO_HWM_KIB=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")

say "mixed load: every scenario at once for ${DURATION}s (peak RSS)"
MIX_C=$(( CONNS / 4 > 0 ? CONNS / 4 : 1 ))
mixed_pool=$(pool "$(awk -F'\t' '$2 == "refresh" { if ($4 > m) m = $4 } END { printf "%d", m * '"$DURATION"' * 0.6 + 2000 }' "$RAW")")
mixed=()
mixed_pids=()
for spec in "rest_me rest_me.lua $MIX_C" "graphql_me graphql_me.lua $MIX_C" \
  "users_page graphql_users.lua $MIX_C" "login login.lua $LOGIN_CONNS" \
  "refresh refresh.lua $MIX_C"; do
  set -- $spec
  if [ "$1" = refresh ]; then
    wrk_run "$DURATION" "$3" "$2" "$BASE" "$mixed_pool" 1 >"$OUT/mixed-$1.txt" &
  else
    BENCH_TOKEN=$ADMIN_TOKEN wrk_run "$DURATION" "$3" "$2" "$BASE" >"$OUT/mixed-$1.txt" &
  fi
  mixed_pids+=("$!")
  mixed+=("$1:$3")
done
for pid in "${mixed_pids[@]}"; do wait "$pid"; done
for entry in "${mixed[@]}"; do
  record mixed "mixed_${entry%%:*}" "${entry#*:}" "$(cat "$OUT/mixed-${entry%%:*}.txt")"
done
HWM_KIB=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")
SERVER_ERRORS=$(grep -c -E ' (ERROR|WARN) ' "$OUT/server.log" || true)

# --- report ------------------------------------------------------------------------------
report() {
  awk -F'\t' -v rounds="$ROUNDS" -v hwm="$HWM_KIB" -v solo="$SOLO_HWM_KIB" \
    -v hello_hwm="$HELLO_HWM_KIB" -v threads="$HASH_THREADS" -v stmts="$PAGE_STATEMENTS" -v auth="$AUTH_STATEMENTS" \
    -v m="$M_KIB" -v t="$T_COST" -v p="$P_COST" '
    function median(list,    n, a, i, j, tmp) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
        tmp = a[j]; a[j] = a[j - 1]; a[j - 1] = tmp
      }
      if (n == 0) return 0
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NR == 1 { next }
    {
      key = $2; conns[key] = $3
      rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6
      errors[key] += $7; exhausted[key] += $8
      byround[$1, key] = $4
      if (!(key in seen)) { seen[key] = 1; order[++count] = key }
    }
    END {
      for (r = 1; r <= rounds; r++) {
        h = byround[r, "hello"]; a = byround[r, "argon2id_raw"]
        if (h > 0) for (i = 1; i <= count; i++) {
          k = order[i]; if (k != "argon2id_raw" && (r, k) in byround)
            ratio[k] = ratio[k] " " byround[r, k] / h
        }
        if (a > 0) login_ratio = login_ratio " " byround[r, "login"] / a
      }
      printf "| scenario | connections | requests/s | p50 ms | p99 ms | errors | ratio |\n"
      printf "|---|---:|---:|---:|---:|---:|---:|\n"
      for (i = 1; i <= count; i++) {
        k = order[i]
        if (k == "argon2id_raw") {
          printf "| argon2id raw (m=%d t=%d p=%d), hashes/s on one core | - | %.1f | - | - | - | - |\n", m, t, p, median(rps[k])
          continue
        }
        r = (k == "login") ? sprintf("%.2f of argon2id", median(login_ratio)) \
          : (k ~ /^mixed_/ ? "-" : sprintf("%.3f of hello", median(ratio[k])))
        e = errors[k] (exhausted[k] > 0 ? " (pool ran out)" : "")
        printf "| %s | %d | %.1f | %.2f | %.2f | %s | %s |\n", k, conns[k], median(rps[k]),
          median(p50[k]) / 1000, median(p99[k]) / 1000, e, r
      }
      limit = 64 + threads * 19
      printf "\nPeak RSS (VmHWM): authgraph %.1f MiB after the mixed load (%.1f MiB before it); hello %.1f MiB.\n", hwm / 1024, solo / 1024, hello_hwm / 1024
      printf "\n| target | figure | met |\n|---|---|---|\n"
      v = median(ratio["rest_me"]); printf "| REST me >= 0.5 of hello | %.3f | %s |\n", v, v >= 0.5 ? "yes" : "NO"
      v = median(ratio["graphql_me"]); printf "| GraphQL me >= 0.35 of hello | %.3f | %s |\n", v, v >= 0.35 ? "yes" : "NO"
      v = median(login_ratio); printf "| login >= 0.85 of raw argon2id | %.3f | %s |\n", v, v >= 0.85 ? "yes" : "NO"
      printf "| 50-user page: <= 3 statements besides the auth lookup | %d (+ %d auth) | %s |\n", stmts, auth, stmts <= 3 ? "yes" : "NO"
      printf "| peak RSS <= 64 MiB + %d x 19 MiB = %d MiB | %.1f MiB | %s |\n", threads, limit, hwm / 1024, hwm / 1024 <= limit ? "yes" : "NO"
    }' "$RAW"
}
{
  echo "Run $(date -u +%Y-%m-%d) on $(nproc) CPUs ($(lscpu | awk -F: '/^Model name/ { gsub(/^ +/, "", $2); print $2; exit }')), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' + local changes'); server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU; ${ROUNDS} rounds of ${WARMUP}s warm-up + ${DURATION}s, medians."
  echo
  report
  echo
  echo "Server log: $SERVER_ERRORS WARN/ERROR lines ($OUT/server.log)."
} | tee "$OUT/results.md"
