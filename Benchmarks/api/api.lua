-- wrk script for Benchmarks/api/run.sh: GET requests of the LMS's payments API, each with a learner's own access
-- token, so that every request verifies a JWT, loads the learner and queries that learner's payments.
--
-- wrk -t THREADS -s api.lua URL -- TOKENS_FILE ENDPOINT THREADS
--   TOKENS_FILE  lines `user_id token id,id,...` (tokens.py)
--   ENDPOINT     my      GET /api/payments/my/
--                status  GET /api/payments/<id>/status/ for one of the learner's own payments, in turn
--   THREADS      the same number as -t
-- Thread t of T takes every T-th learner from t on and goes round them request after request, so each of its
-- connections sends the tokens of many learners. done() prints one RESULT line that run.sh parses.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   local file, stride = args[1], tonumber(args[3] or "1")
   endpoint = args[2]
   learners = {}
   local n = 0
   for line in io.lines(file) do
      if n % stride == tid then
         local user, token, ids = line:match("^(%d+) (%S+) (%S+)$")
         local list = {}
         for id in ids:gmatch("%d+") do table.insert(list, id) end
         table.insert(learners, { auth = "Bearer " .. token, ids = list })
      end
      n = n + 1
   end
   issued = 0
end

function request()
   local learner = learners[issued % #learners + 1]
   local path
   if endpoint == "my" then
      path = "/api/payments/my/"
   else
      local round = math.floor(issued / #learners)
      path = "/api/payments/" .. learner.ids[round % #learner.ids + 1] .. "/status/"
   end
   issued = issued + 1
   return wrk.format("GET", path, { ["Authorization"] = learner.auth })
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d "
         .. "timeouts=%d bytes=%d p50_us=%d p99_us=%d mean_us=%d max_us=%d\n",
      summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout, summary.bytes,
      latency:percentile(50), latency:percentile(99), math.floor(latency.mean), latency.max))
end
