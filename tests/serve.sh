#!/usr/bin/env bash
# Runs the whole API locally, one command:
#   - installs cargo-lambda and moto into .tools/ if missing,
#   - starts moto on 127.0.0.1:8000 (MOTO_PORT): the DynamoDB-API server
#     (unless AWS_ENDPOINT_URL_DYNAMODB already names one, e.g. DynamoDB
#     Local), SSM and IAM,
#   - enforces IAM as deployed: each function signs as an IAM user whose
#     policy is its statements in template.yaml (tests/src/bin/stack_iam.rs),
#     and reads the signing key from the SSM SecureString the template
#     names; authctl runs as `admin` (`source .tools/stack/env` for yours;
#     on another PORT, .tools/stack-<port>/env),
#   - creates the tables and the settings parameter (on moto: from
#     template.yaml, through its CloudFormation) and seeds alice / bob;
#     a setting in the environment overrides the parameter's line,
#   - serves every endpoint with `cargo lambda watch` on
#     http://127.0.0.1:9000/api/v1/users/... (loopback only),
#   - delivers email: the mail queue (from template.yaml) feeds the mailer
#     function through moto's SES, and every email sent is printed on
#     this console (to, subject, link),
#   - serves the demo frontend examples/spa/ on http://localhost:3000, and
#     lets it call the API: unless set (an empty value turns them off),
#     CORS_ALLOWED_ORIGINS=http://localhost:3000,http://127.0.0.1:3000 and
#     JWT_AUTH_REFRESH_COOKIE=refresh; and, over plain http,
#     SESSION_COOKIE_SECURE=false (the template's default is true),
#   - turns passkeys on for that page (the template's default is off):
#     unless set, MFA_SUPPORTED_TYPES=recovery_codes,totp,webauthn,
#     MFA_PASSKEY_LOGIN_ENABLED=true, MFA_PASSKEY_SIGNUP_ENABLED=true
#     (sign-up with a passkey instead of a password, while sign-up is
#     open), WEBAUTHN_RP_ID=localhost and, for its http://localhost
#     origin, MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN=true
#     (WEBAUTHN_ALLOWED_ORIGINS empty: CORS_ALLOWED_ORIGINS on localhost,
#     and the API's own origin),
#   - with OAUTH_ENABLED=true, the OAuth / OpenID Connect provider (ES256
#     with a dev key, ISSUER on localhost, unless set) and the partner app
#     examples/oauth-client/ on http://localhost:3002, a third-party client
#     registered with `authctl clients add` ("Log in with this service":
#     the hosted login page, the consent page, the id_token, userinfo).
# Ctrl-C stops everything it started.
# Env: PORT (default 9000), SPA_PORT (default 3000), MOTO_PORT (default 8000),
#      OAUTH_CLIENT_PORT (the partner app, default SPA_PORT + 2),
#      SIGNING_KEYS or SIGNING_KEY (default: a dev key kept in .tools/; put
#      into SSM, never given to the functions), AWS_ENDPOINT_URL_DYNAMODB,
#      USERS_TABLE / SESSIONS_TABLE / BLACKLIST_TABLE, and every setting the
#      functions read (README, "Settings").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tests/tools.sh

port="${PORT:-9000}"
spa_port="${SPA_PORT:-3000}"
# The demo page's origins may call the API, and its refresh token lives in
# an HttpOnly cookie. Only when unset: `VAR=` (empty) turns either off.
export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS-http://localhost:$spa_port,http://127.0.0.1:$spa_port}"
export JWT_AUTH_REFRESH_COOKIE="${JWT_AUTH_REFRESH_COOKIE-refresh}"
# Plain http here: cookies without `Secure` (the template's default is
# true, for API Gateway's https), unless set.
export SESSION_COOKIE_SECURE="${SESSION_COOKIE_SECURE-false}"
# Self-service accounts on: anyone may sign up, and the links in the
# emails (printed below as they are sent) open the demo page. Only when
# unset: `REGISTRATION_OPEN=false` closes sign-up, `VAR=` turns a flow off.
spa_api=""
[ "$port" = 9000 ] || spa_api="api=http://localhost:$port&"
export REGISTRATION_OPEN="${REGISTRATION_OPEN-true}"
verify_page="http://localhost:$spa_port/?${spa_api}verify="'{key}'
reset_page="http://localhost:$spa_port/?${spa_api}"'uid={uid}&token={token}'
export ACTIVATION_URL="${ACTIVATION_URL-$verify_page}"
export PASSWORD_RESET_CONFIRM_URL="${PASSWORD_RESET_CONFIRM_URL-$reset_page}"
# Passkeys on: the demo page adds them, lists and removes them, logs in
# with them, and signs up with one instead of a password (that also needs
# sign-up open, REGISTRATION_OPEN above, and verifies the address by the
# same email). The RP id is localhost, so the page's http://localhost
# origin is the one allowed (127.0.0.1 is no RP id); plain http needs the
# insecure-origin switch, for local development only. Only when unset:
# `MFA_SUPPORTED_TYPES=recovery_codes,totp` turns passkeys off (sign-up
# with one too), `MFA_PASSKEY_SIGNUP_ENABLED=false` only that sign-up.
export MFA_SUPPORTED_TYPES="${MFA_SUPPORTED_TYPES-recovery_codes,totp,webauthn}"
export MFA_PASSKEY_LOGIN_ENABLED="${MFA_PASSKEY_LOGIN_ENABLED-true}"
export MFA_PASSKEY_SIGNUP_ENABLED="${MFA_PASSKEY_SIGNUP_ENABLED-true}"
export WEBAUTHN_RP_ID="${WEBAUTHN_RP_ID-localhost}"
export MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN="${MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN-true}"
# The stack's files: on another PORT, their own (.tools/stack-<port>/,
# .tools/moto-<port>.log, …), so that two stacks side by side (a browser
# test next to a developer's) do not overwrite each other's credentials.
tag=""
[ "$port" = 9000 ] || tag="-$port"
stack_dir=".tools/stack$tag"
pids=()
cleanup() {
  trap - EXIT INT TERM
  [ "${#pids[@]}" -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

moto_port="${MOTO_PORT:-8000}"
if port_busy "$moto_port"; then
  echo "serve: 127.0.0.1:$moto_port is taken. Stop what runs there, or set MOTO_PORT (and AWS_ENDPOINT_URL_DYNAMODB to use a DynamoDB-API server of yours)." >&2
  exit 1
fi
if port_busy "$port"; then
  echo "serve: 127.0.0.1:$port is taken; set PORT to use another port." >&2
  exit 1
fi

dev_key=""
if [ -z "${SIGNING_KEYS:-}" ] && [ -z "${SIGNING_KEY:-}" ]; then
  [ -s .tools/dev-signing-key ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > .tools/dev-signing-key
  SIGNING_KEY="$(cat .tools/dev-signing-key)"
  export SIGNING_KEY
  dev_key=1
fi

echo "serve: building the functions and authctl (first time: a few minutes)"
cargo build --quiet --workspace --bins

# The OAuth provider, with OAUTH_ENABLED=true (off unless set, as
# deployed): it needs a public-key ALGORITHM and an ISSUER. Unless set,
# ES256 with a dev key kept in .tools/ (in place of the HS256 dev key),
# and ISSUER=http://localhost:$port/api/v1/users. The partner app
# (examples/oauth-client/, a third-party client on its own origin,
# http://localhost:$OAUTH_CLIENT_PORT, default SPA_PORT + 2) is
# registered and served below.
oauth="${OAUTH_ENABLED:-false}"
partner_port="${OAUTH_CLIENT_PORT:-$((spa_port + 2))}"
if [ "$oauth" = true ]; then
  if [ -z "${ALGORITHM:-}" ] && [ -n "$dev_key" ]; then
    [ -s .tools/dev-es256-key ] || ./target/debug/authctl keys generate --alg ES256 > .tools/dev-es256-key
    SIGNING_KEYS="$(cat .tools/dev-es256-key)"
    export ALGORITHM=ES256 SIGNING_KEYS
    unset SIGNING_KEY
  fi
  export ISSUER="${ISSUER-http://localhost:$port/api/v1/users}"
fi

# moto, applying one write at a time: atomic, as DynamoDB applies each write.
python3 tests/moto_server.py -H 127.0.0.1 -p "$moto_port" > ".tools/moto$tag.log" 2>&1 &
pids+=("$!")
moto="http://127.0.0.1:$moto_port"
for _ in $(seq 100); do port_busy "$moto_port" && break; sleep 0.1; done
port_busy "$moto_port" || { echo "serve: moto did not start, see .tools/moto$tag.log" >&2; exit 1; }
if [ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]; then
  export AWS_ENDPOINT_URL_DYNAMODB="$moto"
  echo "serve: moto (DynamoDB, SSM, IAM) on $moto (in memory: state ends with this command)"
else
  echo "serve: moto (SSM, IAM) on $moto; DynamoDB at $AWS_ENDPOINT_URL_DYNAMODB (IAM is not enforced there)"
fi
export AWS_ENDPOINT_URL_SSM="$moto"

# IAM users from template.yaml, the key in SSM, enforcement on; from here
# on every request to moto is signed by one of its users.
./target/debug/stack_iam --moto "$moto" --out "$stack_dir"
# shellcheck disable=SC1091
source "$stack_dir/env"

# The tables and the settings parameter: on moto, the template's own, made
# by moto's CloudFormation from template.yaml after the SAM transform
# (tests/deploy/translate.py), as `sam deploy` makes them; the functions
# read the settings (and so the table names) from the parameter. create-tables
# then finds them and turns on their TTL (moto's CloudFormation leaves it
# off). Elsewhere (DynamoDB Local), authctl makes them.
if [ "$AWS_ENDPOINT_URL_DYNAMODB" = "$moto" ] && [ -z "${USERS_TABLE:-}" ]; then
  eval "$(python3 tests/deploy/translate.py template.yaml --tables-on "$moto")"
  export USERS_TABLE SESSIONS_TABLE BLACKLIST_TABLE THROTTLE_TABLE SETTINGS_PARAMETER MAIL_QUEUE_URL
fi
./target/debug/authctl create-tables
# authctl in another terminal: `source .tools/stack/env` (the admin, the
# endpoints, the tables; .tools/stack-<port>/env on another PORT).
cat >> "$stack_dir/env" <<ENV
export AWS_REGION=$AWS_REGION AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SSM=$moto
export USERS_TABLE=${USERS_TABLE:-auth-users} SESSIONS_TABLE=${SESSIONS_TABLE:-auth-sessions}
export BLACKLIST_TABLE=${BLACKLIST_TABLE:-auth-blacklist} THROTTLE_TABLE=${THROTTLE_TABLE:-auth-throttle}
ENV
seed() {
  local out status=0
  out="$(printf '%s' "$2" | ./target/debug/authctl create-user "$1" --password-stdin 2>&1)" || status=$?
  case "$status" in
    0) echo "serve: user $1 created, id $out" ;;
    4) printf '%s' "$2" | ./target/debug/authctl set-password "$1" --password-stdin >/dev/null
       echo "serve: user $1 exists; password reset to the demo one" ;;
    *) echo "$out" >&2; exit "$status" ;;
  esac
}
seed alice 'correct horse battery staple'
seed bob 'hunter2-Secret!'

# The partner app: a third-party client of the OAuth provider, registered
# now (its secret stays in this process), on loopback. A busy port only
# costs the app.
partner=""
if [ "$oauth" = true ]; then
  if port_busy "$partner_port"; then
    echo "serve: 127.0.0.1:$partner_port is taken: not serving the partner app (set OAUTH_CLIENT_PORT to use another port)." >&2
  else
    registered="$(./target/debug/authctl clients add "Partner app" \
      --redirect-uri "http://localhost:$partner_port/callback" --scope "openid profile email")"
    OAUTH_ISSUER="$ISSUER" PORT="$partner_port" \
      OAUTH_CLIENT_ID="$(sed -n 's/^client_id=//p' <<< "$registered")" \
      OAUTH_CLIENT_SECRET="$(sed -n 's/^client_secret=//p' <<< "$registered")" \
      python3 examples/oauth-client/app.py > ".tools/partner$tag.log" 2>&1 &
    pids+=("$!")
    partner="http://localhost:$partner_port/"
  fi
fi

# The demo frontend: static files, on loopback. A busy port only costs the page.
page="http://localhost:$spa_port/"
[ "$port" = 9000 ] || page="${page}?api=http://localhost:$port"
if port_busy "$spa_port"; then
  echo "serve: 127.0.0.1:$spa_port is taken: not serving the demo page (set SPA_PORT to use another port)." >&2
  page=""
else
  python3 -m http.server --bind 127.0.0.1 "$spa_port" --directory examples/spa > ".tools/spa$tag.log" 2>&1 &
  pids+=("$!")
fi

cat <<BANNER

serve: the API is at http://127.0.0.1:$port/api/v1/users/ (Ctrl-C stops everything)
  curl -i -X POST 127.0.0.1:$port/api/v1/users/login -H 'Content-Type: application/json' \\
       -d '{"username":"alice","password":"correct horse battery staple"}'
serve: CORS_ALLOWED_ORIGINS=$CORS_ALLOWED_ORIGINS JWT_AUTH_REFRESH_COOKIE=$JWT_AUTH_REFRESH_COOKIE
serve: MFA_SUPPORTED_TYPES=$MFA_SUPPORTED_TYPES MFA_PASSKEY_LOGIN_ENABLED=$MFA_PASSKEY_LOGIN_ENABLED MFA_PASSKEY_SIGNUP_ENABLED=$MFA_PASSKEY_SIGNUP_ENABLED WEBAUTHN_RP_ID=$WEBAUTHN_RP_ID
serve: authctl in another terminal: source $stack_dir/env
BANNER
[ -z "$page" ] || echo "serve: the demo frontend (examples/spa/) is at $page"
[ -z "$partner" ] || echo "serve: the OAuth provider is on (ISSUER=$ISSUER); the partner app (examples/oauth-client/, \"Log in with this service\") is at $partner"
echo
# The functions as deployed: no key and no credentials of ours in their
# environment; each reads the key from SSM (SIGNING_KEY_PARAMETER) and signs
# as its own IAM user (the AWS_PROFILE of its package's
# [package.metadata.lambda.env], from .tools/stack/credentials, or .tools/stack-<port>/).
env -u SIGNING_KEY -u SIGNING_KEYS -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
  SIGNING_KEY_PARAMETER="$(cat "$stack_dir/key-parameter")" \
  AWS_ENDPOINT_URL_SESV2="$moto" AWS_ENDPOINT_URL_SQS="$moto" \
  cargo lambda watch -A 127.0.0.1 -P "$port" --disable-cors &
pids+=("$!")
# Email: Lambda's poller stands in as tests/mail_poller.py (the mailer's
# role): each batch from the mail queue to the mailer function, which
# sends through moto's SES; every email sent is printed here (to,
# subject, link).
if [ -n "${MAIL_QUEUE_URL:-}" ]; then
  for _ in $(seq 100); do port_busy "$port" && break; sleep 0.1; done
  python3 tests/mail_poller.py "$MAIL_QUEUE_URL" "http://127.0.0.1:$port" "$moto" &
  pids+=("$!")
fi
wait "${pids[@]}"
