#!/bin/sh
# Container entrypoint: one image for every service of Personal Health Assistant.
#
#   SERVICE unset, empty or "all-in-one"  ->  pha start        (every built service behind the
#                                                              gateway on PORT, default 8080)
#   SERVICE=auth                          ->  pha serve auth   (its seed port 8000, or PORT when set,
#                                                              as Render assigns it)
#   SERVICE="auth user-profile" or "all"  ->  pha serve ...    (several services in one container,
#                                                              each on its seed port)
#   any arguments                         ->  pha <arguments>  (e.g. `docker run IMAGE migrate`,
#                                                              `docker run IMAGE doctor --services`)
#   healthcheck                           ->  exit 0 when GET /health of the server started by this
#                                              container answers 200 (used by HEALTHCHECK)
set -eu

# Where the image keeps the built app (override only to run this script outside the image).
PHA_HOME="${PHA_HOME:-/app}"
CLI="$PHA_HOME/dist/src/cli.js"
# The command this container serves, for the health check (which runs in a separate process).
STATE="${PHA_STATE_FILE:-/tmp/pha-command}"

if [ "${1:-}" = "healthcheck" ]; then
  exec node --input-type=module -e '
    import { existsSync, readFileSync } from "node:fs";
    const { serviceBySlug } = await import(process.argv[2] + "/dist/src/catalog.js");
    const saved = existsSync(process.argv[1]) ? readFileSync(process.argv[1], "utf8").trim() : "";
    const service = (process.env.SERVICE ?? "").trim();
    const fallback = service === "" || service === "all-in-one" ? "start" : `serve ${service}`;
    const words = (saved || fallback).split(/[\s,]+/).filter(Boolean);
    const [command, ...names] = words;
    const envPort = Number(process.env.PORT?.trim()) || undefined;
    const single = command === "serve" && names.length === 1 && names[0] !== "all";
    let port;
    if (command !== "serve") port = envPort ?? 8080; // start: the all-in-one server
    else if (single) port = envPort ?? serviceBySlug(names[0])?.port ?? 8080; // PORT as on Render
    else if (names.includes("all") || names.includes("api-gateway")) port = 8080; // the gateway
    else port = serviceBySlug(names[0])?.port ?? 8080; // several services: the first seed port
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      process.exit(0);
    } catch (err) {
      console.error(`health check on port ${port} failed: ${err.message}`);
      process.exit(1);
    }
  ' "$STATE" "$PHA_HOME"
fi

if [ "$#" -gt 0 ]; then
  printf '%s\n' "$*" > "$STATE" 2>/dev/null || true
  exec node "$CLI" "$@"
fi

# SERVICE may list several services, separated by spaces or commas.
set -f
# shellcheck disable=SC2046
set -- $(printf '%s' "${SERVICE:-}" | tr ',' ' ')
set +f

if [ "$#" -eq 0 ] || { [ "$#" -eq 1 ] && [ "$1" = "all-in-one" ]; }; then
  printf 'start\n' > "$STATE" 2>/dev/null || true
  exec node "$CLI" start
fi

printf 'serve %s\n' "$*" > "$STATE" 2>/dev/null || true
exec node "$CLI" serve "$@"
