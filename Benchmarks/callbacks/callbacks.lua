-- wrk script for Benchmarks/callbacks/run.sh: every request is a real-shaped STK success callback
-- (docs/DARAJA.md §4: Body.stkCallback with CallbackMetadata items, ResultCode as a JSON number) for a
-- different seeded payment, so each one is stored, applied (payment completed) and enrolls a learner.
--
-- wrk -t THREADS -s callbacks.lua URL -- TOKEN OFFSET THREADS
--   TOKEN    the endpoint's MPESA_CALLBACK_TOKEN
--   OFFSET   payments 1..OFFSET are skipped (already used by an earlier run, e.g. the warm-up)
--   THREADS  the same number as -t (init() cannot count the threads: each starts before the next exists)
-- Thread t of T posts payments OFFSET+t+1, OFFSET+t+1+T, ... ; the seeded payment i has
-- CheckoutRequestID ws_CO_BENCH<i, 9 digits>, amount 100 and phone 2547<i mod 10^8, 8 digits>.
-- done() prints one RESULT line that run.sh parses. wrk calls request() once more on thread 0 before
-- starting, to check whether requests can be pipelined: that payment is skipped, never posted, so
-- `issued` counts one more than was sent.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   token = args[1]
   offset = tonumber(args[2] or "0")
   stride = tonumber(args[3] or "1")
   issued = 0
   last = 0
   path = "/api/payments/callback/?token=" .. token
   headers = {
      ["Content-Type"] = "application/json;charset=UTF-8",
      ["Businessshortcode"] = "174379",
   }
end

function request()
   local i = offset + tid + 1 + issued * stride
   issued = issued + 1
   last = i
   local body = string.format(
      '{"Body":{"stkCallback":{"MerchantRequestID":"bench-%d","CheckoutRequestID":"ws_CO_BENCH%09d",'
         .. '"ResultCode":0,"ResultDesc":"The service request is processed successfully.",'
         .. '"CallbackMetadata":{"Item":[{"Name":"Amount","Value":100.00},'
         .. '{"Name":"MpesaReceiptNumber","Value":"B%09d"},{"Name":"Balance"},'
         .. '{"Name":"TransactionDate","Value":20250101120000},'
         .. '{"Name":"PhoneNumber","Value":2547%08d}]}}}}',
      i, i, i, i % 100000000)
   return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
   local issued_total, top = 0, 0
   for _, thread in ipairs(threads) do
      issued_total = issued_total + thread:get("issued")
      local t = thread:get("last")
      if t > top then top = t end
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d "
         .. "write_errors=%d timeouts=%d issued=%d top=%d p50_us=%d p99_us=%d mean_us=%d max_us=%d\n",
      summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
      issued_total, top, latency:percentile(50), latency:percentile(99), math.floor(latency.mean),
      latency.max))
end
