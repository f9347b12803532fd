-- Shared by the wrk scripts of perf/scim-bench.sh. Settings come from the environment:
--   BENCH_TOKEN  bearer token      BENCH_PATH  SCIM base path (/scim/v2 or /v2)
-- Every thread gets a distinct id (thread_id) in setup().
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

function bench_headers(with_body)
  local h = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Accept"] = "application/scim+json",
  }
  if with_body then h["Content-Type"] = "application/scim+json" end
  return h
end

-- BENCH_COUNT_STATUS=1: count 5xx and 409 answers per thread (wrk then reads every
-- answer's status through Lua, a little slower; the two-replica phase uses it).
if os.getenv("BENCH_COUNT_STATUS") and not response then
  function response(status, headers, body)
    if status >= 500 then s5xx = (s5xx or 0) + 1 end
    if status == 409 then s409 = (s409 or 0) + 1 end
  end
end

local function thread_sum(name)
  local n = 0
  for _, t in ipairs(threads) do n = n + (tonumber(t:get(name)) or 0) end
  return n
end

-- One machine-readable line after wrk's own report (latencies in microseconds).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"non2xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"s5xx":%d,"s409":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.status, e.connect, e.read, e.write, e.timeout,
    thread_sum("s5xx"), thread_sum("s409")))
end
