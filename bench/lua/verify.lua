-- POST /login/verify: each half-way session (one per user, from $BENCH_DIR/codes.txt) submits its
-- user's correct code once. A thread stops as soon as all of its sessions have been answered;
-- connections that find the list used up send GET /healthz meanwhile (at most one per
-- connection, excluded from the accepted count). wrk's own duration is always the full -d, so the
-- burst is timed here: from the first request sent to the last code answered, over all threads.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local nonce, token = os.getenv("BENCH_CSRF"):match("(%S+) (%S+)")
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
  ffi.C.clock_gettime(1, t) -- CLOCK_MONOTONIC: the same clock in every thread
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local mine, next_index = {}, 1
accepted, refused, first_at, last_at = 0, 0, 0, 0
function init(args)
  local index = 0
  for line in io.lines(os.getenv("BENCH_DIR") .. "/codes.txt") do
    index = index + 1
    if (index - 1) % tonumber(os.getenv("BENCH_THREADS")) + 1 == id then
      local session, code, browser = line:match("(%S+) (%S+) ?(%S*)")
      local known = browser ~= "" and ("; sekisho_browser=" .. browser) or ""
      table.insert(mine, wrk.format("POST", "/login/verify", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Cookie"] = "sekisho_csrf=" .. nonce .. "; sekisho_session=" .. session .. known,
      }, "code=" .. code .. "&csrf=" .. token))
    end
  end
end

-- wrk calls request() once in the first thread before the run, to check the script
-- (script_verify_request); that call must not use up a session.
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
  if headers["Location"] == "/" and status == 303 then
    accepted = accepted + 1
    last_at = now()
  elseif status ~= 200 or body ~= "ok\n" then
    refused = refused + 1
    last_at = now()
  end
  if accepted + refused >= #mine then wrk.thread:stop() end
end

function extra_report()
  local a, r, first, last = 0, 0, math.huge, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    r = r + t:get("refused")
    if t:get("first_at") > 0 then first = math.min(first, t:get("first_at")) end
    last = math.max(last, t:get("last_at"))
  end
  io.write(string.format("VERIFY accepted=%d refused=%d burst_seconds=%.3f\n", a, r, last - first))
end
