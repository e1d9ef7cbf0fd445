-- REST GET /api/me/ with a Bearer access token (BENCH_TOKEN).
dofile(os.getenv("BENCH_LUA_DIR") .. "/lib.lua")
wrk.method = "GET"
wrk.path = "/api/me/"
wrk.headers = bench_headers()
