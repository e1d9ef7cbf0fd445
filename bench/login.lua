-- POST /api/login/ (JSON) as BENCH_USER / BENCH_PASSWORD: one argon2id verify each.
dofile(os.getenv("BENCH_LUA_DIR") .. "/lib.lua")
wrk.method = "POST"
wrk.path = "/api/login/"
wrk.headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
wrk.body = string.format('{"username":"%s","password":"%s"}',
   os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))
