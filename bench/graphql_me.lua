-- GraphQL { me { id username email } } over POST /graphql, Bearer BENCH_TOKEN.
dofile(os.getenv("BENCH_LUA_DIR") .. "/lib.lua")
check_graphql = true
wrk.method = "POST"
wrk.path = "/graphql"
wrk.headers = bench_headers({ ["Content-Type"] = "application/json" })
wrk.body = '{"query":"{ me { id username email } }"}'
