-- One request shape for wrk, from the environment: BENCH_METHOD, BENCH_PATH, BENCH_TOKEN, BENCH_BODY,
-- and BENCH_BODY2: when set, requests alternate between the two bodies (so every update changes the row).
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.path = os.getenv("BENCH_PATH") or "/"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
local body = os.getenv("BENCH_BODY")
local body2 = os.getenv("BENCH_BODY2")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if body2 and body2 ~= "" then
  local n = 0
  request = function()
    n = n + 1
    return wrk.format(nil, nil, nil, (n % 2 == 0) and body or body2)
  end
end
