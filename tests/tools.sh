# Sourced by the other scripts: makes sure the project virtualenv .tools/
# holds the pinned Python-side tools (cargo-lambda with zig, moto's
# DynamoDB-API server, SAM CLI, cfn-lint) and puts it first on PATH
# (cargo-lambda finds zig through the first python3 on PATH).
# Reinstalls when tests/requirements.txt changes.

tools_dir="$PWD/.tools"
requirements="$PWD/tests/requirements.txt"
stamp="$tools_dir/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [ ! -x "$tools_dir/bin/python3" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python="${PYTHON:-python3}"
  echo "tools: installing $(grep -v '^#' "$requirements" | xargs) into .tools/ (about a minute)" >&2
  "$python" -m venv "$tools_dir"
  "$tools_dir/bin/pip" install --disable-pip-version-check -q -r "$requirements"
  echo "$want" > "$stamp"
fi
export PATH="$tools_dir/bin:$PATH"

# The AWS SDK needs a region and credentials even for a local server.
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
