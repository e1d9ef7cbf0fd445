-- GraphQL: a page of 50 users with their groups, as the admin (BENCH_TOKEN).
dofile(os.getenv("BENCH_LUA_DIR") .. "/lib.lua")
check_graphql = true
wrk.method = "POST"
wrk.path = "/graphql"
wrk.headers = bench_headers({ ["Content-Type"] = "application/json" })
wrk.body = '{"query":"{ users(first: 50) { nodes { id username email groups { id name } } pageInfo { hasNextPage endCursor } } }"}'
