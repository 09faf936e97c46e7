-- wrk script: replay pre-signed requests from a file, each request once.
-- File (first script argument): one request per line, "METHOD<TAB>PATH<TAB>SIGNATURE<TAB>BODY".
-- Requests are dealt to wrk's threads round-robin; a thread that runs out starts over
-- and counts the repeats, which done() reports as "repeats" (a run should show 0).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  local stride = tonumber(args[2])
  local n = 0
  items = {}
  for line in file:lines() do
    if n % stride == index then
      local method, path, signature, body = line:match("^(%S+)\t(%S+)\t(%S*)\t(.*)$")
      local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
      if signature ~= "" then headers["X-Twilio-Signature"] = signature end
      if body == "" then body = nil end
      table.insert(items, wrk.format(method, path, headers, body))
    end
    n = n + 1
  end
  file:close()
  position = 0
  repeats = 0
end

function request()
  position = position + 1
  if position > #items then
    position = 1
    repeats = repeats + #items
  end
  return items[position]
end

function done(summary, latency, requests)
  local repeated = 0
  for _, thread in ipairs(threads) do
    repeated = repeated + (thread:get("repeats") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d repeats=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout, repeated))
end
