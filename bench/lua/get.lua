-- GET wrk's URL, with the Cookie header from $BENCH_COOKIE when set (the session for forward auth).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
