-- POST /login for a user without two-factor: every request is one Argon2id verification.
-- Counts the answers that are a 303 to "/" (password accepted, signed in).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local nonce, token = os.getenv("BENCH_CSRF"):match("(%S+) (%S+)")
wrk.method = "POST"
wrk.path = "/login"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "sekisho_csrf=" .. nonce
wrk.body = "username=benchplain&password=bench-password-1&csrf=" .. token

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
