-- bench/run.sh's wrk script, the same for every server.
--
--   wrk -t1 -cN -dDs -H 'Authorization: ...' -s bench/wrk/bench.lua http://HOST:PORT \
--       -- METHOD PATH [IDS_FILE [BODY]]
--
-- PATH may contain {id}: then each request picks a random line of IDS_FILE for it (all
-- requests are formatted once, in init, so a request costs no Lua). BODY, if given, is
-- sent as application/json. The headers given with -H (the token) go on every request.
-- done() prints one line "BENCH_JSON {...}" with the request count, the duration, wrk's
-- error counters, the count of every status code and the latency percentiles (in ms, of
-- all requests: wrk can't time a request per status).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

local function read_lines(file)
   local lines = {}
   local f = assert(io.open(file, "r"), "can't open " .. file)
   for line in f:lines() do
      if line ~= "" then
         table.insert(lines, line)
      end
   end
   f:close()
   return lines
end

local requests = {}

function init(args)
   statuses = {}
   local method, path, ids_file, body = args[1], args[2], args[3], args[4]
   if body == "" then
      body = nil
   end
   local headers = {}
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   if body then
      headers["Content-Type"] = "application/json"
   end
   if string.find(path, "{id}", 1, true) then
      for _, id in ipairs(read_lines(ids_file)) do
         local p = string.gsub(path, "{id}", id)
         table.insert(requests, wrk.format(method, p, headers, body))
      end
   else
      table.insert(requests, wrk.format(method, path, headers, body))
   end
   math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
   local n = #requests
   if n == 1 then
      return requests[1]
   elseif n == 0 then
      -- wrk calls request() once before init() to check for pipelining.
      return wrk.format()
   end
   return requests[math.random(n)]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      local s = thread:get("statuses")
      for status, n in pairs(s) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(counts) do
      table.insert(parts, string.format('"%d":%d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"tool":"wrk","requests":%d,"duration_s":%.6f,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"status":{%s},"latency_ms":{"all":{"p50":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f}}}\n',
      summary.requests, summary.duration / 1e6,
      e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(parts, ","),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, latency.mean / 1000))
end
