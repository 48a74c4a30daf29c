-- POST /login/verify: each half-way session (one per user, from $BENCH_DIR/verify.txt) submits its
-- user's correct code once. A thread stops as soon as all of its sessions have been answered;
-- connections that find the list used up send GET /healthz meanwhile (at most one per
-- connection, excluded from the accepted count).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local nonce, token = os.getenv("BENCH_CSRF"):match("(%S+) (%S+)")
local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

local mine, next_index, answered = {}, 1, 0
accepted, refused = 0, 0
function init(args)
  local index = 0
  for line in io.lines(os.getenv("BENCH_DIR") .. "/verify.txt") do
    index = index + 1
    if (index - 1) % tonumber(os.getenv("BENCH_THREADS")) + 1 == id then
      local session, code = line:match("(%S+) (%S+)")
      table.insert(mine, wrk.format("POST", "/login/verify", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Cookie"] = "sekisho_csrf=" .. nonce .. "; sekisho_session=" .. session,
      }, "code=" .. code .. "&csrf=" .. token))
    end
  end
end

function request()
  if next_index <= #mine then
    next_index = next_index + 1
    return mine[next_index - 1]
  end
  return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
  if headers["Location"] == "/" and status == 303 then
    accepted = accepted + 1
  elseif status ~= 200 or body ~= "ok\n" then
    refused = refused + 1
  end
  if accepted + refused >= #mine then wrk.thread:stop() end
end

function extra_report()
  local a, r = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); r = r + t:get("refused") end
  io.write(string.format("VERIFY accepted=%d refused=%d\n", a, r))
end
