-- Shared by every scenario script (loaded with dofile): counts non-2xx answers (and, for
-- GraphQL, 200 answers carrying "errors") in each thread, and prints one RESULT line.
-- wrk gives every thread its own Lua state: counters live in the threads and are summed
-- in done() through thread:get.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

non2xx = 0
graphql_errors = 0
check_graphql = false

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   elseif check_graphql and string.find(body, '"errors"', 1, true) then
      graphql_errors = graphql_errors + 1
   end
end

function done(summary, latency, requests)
   local bad, gql, exhausted = 0, 0, 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
      gql = gql + (thread:get("graphql_errors") or 0)
      exhausted = exhausted + (thread:get("exhausted") or 0)
   end
   local e = summary.errors
   local socket = e.connect + e.read + e.write + e.timeout
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d non2xx=%d graphql_errors=%d socket_errors=%d exhausted=%d\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), bad, gql, socket, exhausted))
end

-- Request headers every scenario sends.
function bench_headers(extra)
   local headers = { ["Accept"] = "application/json" }
   local token = os.getenv("BENCH_TOKEN")
   if token and token ~= "" then
      headers["Authorization"] = "Bearer " .. token
   end
   for k, v in pairs(extra or {}) do
      headers[k] = v
   end
   return headers
end
