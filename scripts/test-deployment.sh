#!/usr/bin/env bash
# End-to-end test of a deployment, after the seed's test_deployment.sh (deployment plan, section
# "End-to-End Test Script"): the same steps, paths and request bodies, but every step is checked
# (HTTP status and JSON fields) and the script exits non-zero when any step fails.
#
# Usage:
#   scripts/test-deployment.sh [BASE_URL]          default: $BASE_URL, else http://localhost:8080
#
# BASE_URL is the API gateway (all-in-one server, or the api-gateway service of the distributed
# shape). The script first reads BASE_URL/health to learn which services the deployment serves:
# a Phase 2/3 step or health check whose service is not served is SKIPPED (not built in this
# deployment) and does not fail; a step whose service is served must pass. Phase 1 (auth and
# user-profile) must always pass.
#
# Environment (all optional):
#   BASE_URL        gateway URL (the first argument wins)
#   TEST_EMAIL      account to use (default: a fresh test+<timestamp>-<pid>@test.com per run; an
#                   existing account answers 409 on register and is then logged in)
#   TEST_PASSWORD   default Test123! (the seed's)
#   WAIT_SECONDS    how long to wait first for BASE_URL/health to answer 200 with every service
#                   up (default 90: free Render instances take ~30 s to wake up); the steps then
#                   run either way
#   CURL_MAX_TIME   seconds allowed per request (default 60)
#
# Needs only curl and python3. Prints one line "N passed, N failed, N skipped" at the end.

set -u

BASE_URL="${1:-${BASE_URL:-http://localhost:8080}}"
BASE_URL="${BASE_URL%/}"
EMAIL="${TEST_EMAIL:-test+$(date -u +%Y%m%d%H%M%S)-$$@test.com}"
PASSWORD="${TEST_PASSWORD:-Test123!}"
FULL_NAME="Test"
WAIT_SECONDS="${WAIT_SECONDS:-90}"
export EXPECT_EMAIL="$EMAIL" EXPECT_NAME="$FULL_NAME"
CURL_MAX_TIME="${CURL_MAX_TIME:-60}"

# The seed's health-check loop (every service except the gateway itself).
ALL_SERVICES="auth user-profile health-tracking device-data medical-records \
ai-insights nutrition voice-input knowledge-graph consent-audit \
analytics health-analysis medical-analysis doctor-collaboration \
genomics ai-reasoning graphql-bff"

for tool in curl python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "This script needs $tool on PATH." >&2
    exit 2
  fi
done

umask 077
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BODY="$WORK/body"

PASSED=0
FAILED=0
SKIPPED=0
TOKEN=""
SERVED=""

pass() { PASSED=$((PASSED + 1)); echo "  PASS: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "  FAIL: $1"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "  SKIPPED (not built in this deployment): $1"; }

# request METHOD PATH [JSON_BODY] -> sets STATUS; the response body is in $BODY.
# STATUS is 000 when no HTTP answer came (connection refused, DNS, timeout).
request() {
  local method="$1" path="$2" data="${3:-}"
  local args=(-s -S -X "$method" -o "$BODY" -w '%{http_code}' --max-time "$CURL_MAX_TIME"
    -H 'Accept: application/json')
  # The token and the bodies (with the password) go through files, not the command line.
  if [ -n "$TOKEN" ]; then
    printf 'Authorization: Bearer %s\n' "$TOKEN" >"$WORK/auth-header"
    args+=(-H "@$WORK/auth-header")
  fi
  if [ -n "$data" ]; then
    printf '%s' "$data" >"$WORK/request-body"
    args+=(-H 'Content-Type: application/json' --data-binary "@$WORK/request-body")
  fi
  : >"$BODY"
  STATUS="$(curl "${args[@]}" "$BASE_URL$path" 2>"$WORK/curl-error")" || true
  STATUS="${STATUS:-000}"
  if [ "$STATUS" = "000" ]; then
    echo "  (no HTTP response: $(head -c 300 "$WORK/curl-error"))"
  fi
}

# Pretty-prints the last response body (JSON when it is JSON, else the first 2000 characters).
show_body() {
  python3 - "$BODY" <<'PY'
import json, sys
raw = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    print(json.dumps(json.loads(raw), indent=4))
except ValueError:
    if raw:
        print(raw[:2000])
PY
}

# check EXPR: evaluates a Python expression over the last response body `j` (parsed JSON; None when
# it is not JSON). Helpers: has(obj, **fields) finds an object holding those fields anywhere in the
# document (responses may wrap items, e.g. {"items": [...]}); num(x) is float(x) or None; env is
# the environment (the expected email and name are passed as EXPECT_EMAIL and EXPECT_NAME).
# Exit status 0 when the expression is true.
check() {
  python3 - "$BODY" "$1" <<'PY'
import json, os, sys
raw = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    j = json.loads(raw)
except ValueError:
    j = None

def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None

def walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)

def same(actual, expected):
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if isinstance(actual, dict) and "value" in actual:  # a quantity: {"value": 72, "unit": ...}
            actual = actual["value"]
        return num(actual) == float(expected)
    return actual == expected

def has(obj, **fields):
    return any(
        isinstance(n, dict) and all(k in n and same(n[k], v) for k, v in fields.items())
        for n in walk(obj)
    )

try:
    ok = bool(eval(sys.argv[2], {"j": j, "has": has, "num": num, "env": os.environ}))
except Exception:
    ok = False
sys.exit(0 if ok else 1)
PY
}

# field EXPR: prints the value of a Python expression over the last response body `j` (or nothing).
field() {
  python3 - "$BODY" "$1" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1], encoding="utf-8"))
    value = eval(sys.argv[2], {"j": j})
    if value is not None:
        print(value)
except Exception:
    pass
PY
}

is_served() {
  case " $SERVED " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

# A short reason for a failed step: the status and the error message of the shared error shape.
reason() {
  local message
  message="$(field 'j["error"]["code"] + ": " + j["error"]["message"]')"
  echo "HTTP $STATUS${message:+, $message}"
}

echo "Testing $BASE_URL as $EMAIL"
echo ""

echo "=== Gateway ==="
echo "Reading $BASE_URL/health..."
deadline=$(($(date +%s) + WAIT_SECONDS))
while :; do
  request GET /health
  if [ "$STATUS" = "200" ] && check 'j["status"] == "ok"'; then break; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then break; fi
  case "$STATUS" in
    000 | 502 | 503 | 504) echo "  (HTTP $STATUS; waiting for the deployment to wake up...)" ;;
    200) echo "  (status $(field 'j.get("status")'): down: $(field '" ".join(s["service"] for s in j["services"] if s.get("status") != "up")'); waiting for it to wake up...)" ;;
    *) break ;;
  esac
  sleep 5
done
show_body
if [ "$STATUS" = "200" ] && check 'j["service"] == "api-gateway" and isinstance(j["services"], list)'; then
  SERVED="$(field '" ".join(s["service"] for s in j["services"])')"
  pass "gateway health ($(field 'j["status"]'), shape $(field 'j.get("shape")'))"
  echo "  Served: ${SERVED:-none}"
elif [ "$STATUS" = "000" ]; then
  fail "gateway health: no HTTP response from $BASE_URL within ${WAIT_SECONDS}s"
  echo ""
  echo "=== Summary ==="
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
  exit 1
else
  fail "gateway health: expected 200 with {\"service\":\"api-gateway\",\"services\":[...]} ($(reason))"
  # Without the list nothing may be skipped: every step is expected to pass.
  SERVED="$ALL_SERVICES"
  echo "  Could not learn which services are served; expecting all of them."
fi

echo ""
echo "=== Phase 1: Auth + Profile ==="

# 1. Register
echo "Registering user..."
REGISTER_BODY="$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2], "full_name": sys.argv[3]}))' "$EMAIL" "$PASSWORD" "$FULL_NAME")"
request POST /auth/api/v1/auth/register "$REGISTER_BODY"
show_body
if [ "$STATUS" = "201" ] && check 'isinstance(j.get("id"), str) and j.get("email", "").lower() == env["EXPECT_EMAIL"].lower() and j.get("full_name") == env["EXPECT_NAME"]'; then
  pass "register (201, id $(field 'j["id"]'))"
elif [ "$STATUS" = "409" ]; then
  pass "register (409: the account already exists; logging in to it)"
else
  fail "register: expected 201 with id, email and full_name ($(reason))"
fi

# 2. Login
echo "Logging in..."
LOGIN_BODY="$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' "$EMAIL" "$PASSWORD")"
request POST /auth/api/v1/auth/login "$LOGIN_BODY"
if [ "$STATUS" = "200" ] && check 'isinstance(j["access_token"], str) and len(j["access_token"]) > 0'; then
  TOKEN="$(field 'j["access_token"]')"
  echo "Token: ${TOKEN:0:20}..."
  pass "login (200, access_token, token_type $(field 'j.get("token_type")'))"
else
  show_body
  fail "login: expected 200 with access_token ($(reason))"
fi

# 3. Get profile
echo "Getting profile..."
if [ -z "$TOKEN" ]; then
  fail "profile: no access token (login failed)"
else
  request GET /user-profile/api/v1/profile
  show_body
  if [ "$STATUS" = "200" ] && check 'j["full_name"] == env["EXPECT_NAME"] and j.get("email", env["EXPECT_EMAIL"]).lower() == env["EXPECT_EMAIL"].lower()'; then
    pass "profile (200, full_name \"$FULL_NAME\")"
  else
    fail "profile: expected 200 with full_name \"$FULL_NAME\" ($(reason))"
  fi
fi

# step SERVICE NAME METHOD PATH [BODY]: runs one request of a service that may not be built yet.
# Returns 1 (and records nothing) when the step is skipped, else 0 with STATUS and $BODY set.
step() {
  local service="$1" name="$2"
  if ! is_served "$service"; then
    skip "$name ($service)"
    return 1
  fi
  if [ -z "$TOKEN" ]; then
    fail "$name: no access token (login failed)"
    return 1
  fi
  request "$3" "$4" "${5:-}"
  show_body
  return 0
}

echo ""
echo "=== Phase 2: Health Data ==="

# 4. Add health metric
echo "Adding health metric..."
if step health-tracking "add metric" POST /health-tracking/api/v1/metrics \
  '{"metric_type":"heart_rate","value":72,"unit":"bpm"}'; then
  if { [ "$STATUS" = "201" ] || [ "$STATUS" = "200" ]; } && check 'has(j, metric_type="heart_rate", value=72)'; then
    pass "add metric ($STATUS)"
  else
    fail "add metric: expected 201 echoing metric_type heart_rate and value 72 ($(reason))"
  fi
fi

# 5. Get metrics
echo "Getting metrics..."
if step health-tracking "get metrics" GET /health-tracking/api/v1/metrics; then
  if [ "$STATUS" = "200" ] && check 'has(j, metric_type="heart_rate", value=72)'; then
    pass "get metrics (200, lists the heart_rate 72 just added)"
  else
    fail "get metrics: expected 200 listing the heart_rate metric just added ($(reason))"
  fi
fi

echo ""
echo "=== Phase 3: Medical + AI ==="

# get_list SERVICE NAME PATH: a read that must answer 200 with JSON.
get_list() {
  if step "$1" "$2" GET "$3"; then
    if [ "$STATUS" = "200" ] && check 'isinstance(j, (list, dict))'; then
      pass "$2 (200)"
    else
      fail "$2: expected 200 with a JSON body ($(reason))"
    fi
  fi
}

# 6. Get medical records
echo "Getting medical records..."
get_list medical-records "medical records" /medical-records/api/v1/records

# 7. Get AI insights: computed from this user's own data (the heart rate above), every insight with its
# rule and citation, and every source it reads named with its status (health tracking must be read).
echo "Getting AI insights..."
if step ai-insights "AI insights" GET /ai-insights/api/v1/insights; then
  if [ "$STATUS" = "200" ] && check 'isinstance(j["insights"], list) and isinstance(j["stale"], bool) and isinstance(j["generated_at"], str) and "narrative" in j and all(i["title"] and i["explanation"] and i["severity"] in ("info", "low", "moderate", "high") and i["rule"]["citation"] and "values" in i["evidence"] for i in j["insights"]) and {s["service"]: s["status"] for s in j["sources"]}.get("health-tracking") == "ok"'; then
    pass "AI insights (200, $(field 'len(j["insights"])') insights; sources: $(field '", ".join(s["service"] + " " + s["status"] for s in j["sources"])'))"
  else
    fail "AI insights: expected 200 with insights, generated_at, stale, narrative and sources with health-tracking ok ($(reason))"
  fi
fi

# 8. Get nutrition data
echo "Getting nutrition data..."
get_list nutrition "nutrition data" /nutrition/api/v1/meals

echo ""
echo "=== Health Checks ==="
TOKEN_SAVED="$TOKEN"
TOKEN=""
for svc in $ALL_SERVICES; do
  if ! is_served "$svc"; then
    SKIPPED=$((SKIPPED + 1))
    echo "  ⏭️  $svc: SKIPPED (not built in this deployment)"
    continue
  fi
  request GET "/$svc/health"
  if [ "$STATUS" = "200" ]; then
    PASSED=$((PASSED + 1))
    echo "  ✅ $svc: UP"
  else
    FAILED=$((FAILED + 1))
    echo "  ❌ $svc: DOWN ($STATUS)"
  fi
done
TOKEN="$TOKEN_SAVED"

echo ""
echo "=== Summary ==="
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
