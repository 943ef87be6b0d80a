// @hey-api/openapi-ts's settings for tests/clients/run.sh: the command of
// the README (`-i ./docs/openapi.yaml -o target/clients/hey-api`), plus its
// validation of the document, strict (an error fails the generation).
export default {
  input: "./docs/openapi.yaml",
  output: "target/clients/hey-api",
  parser: { validate_EXPERIMENTAL: "strict" },
};
