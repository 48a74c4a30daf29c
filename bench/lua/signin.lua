-- POST /login for users without two-factor: every request is one Argon2id verification.
-- Counts the answers that are a 303 to "/" (password accepted, signed in). The requests go round
-- 64 accounts (benchplain00..63, made by prepare.py), so that no account has more than its free
-- guesses in flight: a guess in flight is charged until its check settles it, and the sixth at
-- once on one account is refused unchecked.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local nonce, token = os.getenv("BENCH_CSRF"):match("(%S+) (%S+)")
wrk.method = "POST"
wrk.path = "/login"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "sekisho_csrf=" .. nonce
local next_user = 0
function request()
  next_user = (next_user + 1) % 64
  local body = string.format("username=benchplain%02d&password=bench-password-1&csrf=%s", next_user, token)
  return wrk.format(nil, nil, nil, body)
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
signed_in = 0
function response(status, headers, body)
  if status == 303 and headers["Location"] == "/" then signed_in = signed_in + 1 end
end
function extra_report()
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("signed_in") end
  io.write(string.format("SIGNED_IN %d\n", total))
end
