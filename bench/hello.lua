-- Bare axum hello world (the baseline): GET /
dofile(os.getenv("BENCH_LUA_DIR") .. "/lib.lua")
wrk.method = "GET"
wrk.path = "/"
wrk.headers = bench_headers()
