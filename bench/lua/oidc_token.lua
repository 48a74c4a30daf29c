-- POST /oidc/token: each line of $BENCH_BODIES is one form body (a code exchange or a refresh),
-- sent once, with the client's Basic credentials from $BENCH_BASIC. As in verify.lua, a thread
-- stops when all of its bodies have been answered, connections that find the list used up send
-- GET /healthz meanwhile, and the burst is timed here: from the first request to the last answer.
-- The refresh token of each answer is written to $BENCH_DIR/refresh-THREAD.txt as the body of a
-- refresh, for the next burst.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local function now()
  local t = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, t)
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local mine, next_index, out = {}, 1, nil
ok, failed, first_at, last_at = 0, 0, 0, 0
function init(args)
  local index = 0
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC"),
  }
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    index = index + 1
    if (index - 1) % tonumber(os.getenv("BENCH_THREADS")) + 1 == id then
      table.insert(mine, wrk.format("POST", "/oidc/token", headers, line))
    end
  end
  out = io.open(os.getenv("BENCH_DIR") .. "/refresh-" .. id .. ".txt", "w")
end

local verifying = nil
function request()
  if verifying == nil then verifying = (id == 1) end
  if verifying then
    verifying = false
    return wrk.format("GET", "/healthz")
  end
  if next_index <= #mine then
    if next_index == 1 then first_at = now() end
    next_index = next_index + 1
    return mine[next_index - 1]
  end
  return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
  if body == "ok\n" then return end
  last_at = now()
  local refresh = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if status == 200 and body:find('"id_token"', 1, true) then
    ok = ok + 1
    if refresh then out:write("grant_type=refresh_token&refresh_token=" .. refresh .. "\n") end
  else
    failed = failed + 1
  end
  if ok + failed >= #mine then
    out:flush()
    wrk.thread:stop()
  end
end

function extra_report()
  local a, f, first, last = 0, 0, math.huge, 0
  for _, t in ipairs(threads) do
    a = a + t:get("ok")
    f = f + t:get("failed")
    if t:get("first_at") > 0 then first = math.min(first, t:get("first_at")) end
    last = math.max(last, t:get("last_at"))
  end
  io.write(string.format("TOKENS ok=%d failed=%d burst_seconds=%.3f\n", a, f, last - first))
end
