-- wrk script for bench/load.py: POSTs the chat request in $BENCH_BODY_FILE with the API key in
-- $BENCH_API_KEY, and at the end prints one machine-readable line with exact figures:
--   BENCH_RESULT {"requests":N,"duration_us":N,"p50_us":N,"p99_us":N,"errors":{...}}
local body_path = os.getenv("BENCH_BODY_FILE")
local file = assert(io.open(body_path, "rb"), "cannot open BENCH_BODY_FILE")
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_API_KEY") or "")

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
