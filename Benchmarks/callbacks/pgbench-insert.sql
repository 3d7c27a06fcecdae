-- pgbench baseline of Benchmarks/callbacks/run.sh: one single-row INSERT per transaction into a copy of
-- callback_inbox (same columns, constraints and indexes), with a body of the same shape and size as the
-- callbacks wrk posts. This is the floor of "store the raw body first": one committed insert, no HTTP,
-- no parsing, no apply.
\set i random(1, 1000000000)
INSERT INTO pgbench_callback_inbox (kind, remote_addr, headers, body) VALUES ('stk', '127.0.0.1', '{"host": "127.0.0.1", "content-type": "application/json;charset=UTF-8", "businessshortcode": "174379", "content-length": "436"}', convert_to('{"Body":{"stkCallback":{"MerchantRequestID":"bench-:i","CheckoutRequestID":"ws_CO_PGB:i","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[{"Name":"Amount","Value":100.00},{"Name":"MpesaReceiptNumber","Value":"B:i"},{"Name":"Balance"},{"Name":"TransactionDate","Value":20250101120000},{"Name":"PhoneNumber","Value":254700000000}]}}}}', 'UTF8'));
