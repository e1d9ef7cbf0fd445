-- POST /api/refresh/ with single-use refresh tokens from a pool made beforehand (one per
-- line in the file named by the first script argument). Each wrk thread has its own Lua
-- state, so thread i of n (n = second argument) takes lines i, i+n, i+2n, ... A thread
-- that runs out sends no more reused tokens: it counts `exhausted` and stops.
dofile(os.getenv("BENCH_LUA_DIR") .. "/lib.lua")

local tokens = {}
local next_token = 1
exhausted = 0

function init(args)
   local file = assert(io.open(args[1], "r"), "cannot open the refresh token pool " .. tostring(args[1]))
   local n = tonumber(args[2] or "1")
   local index = 0
   for line in file:lines() do
      if index % n == id and line ~= "" then
         table.insert(tokens, line)
      end
      index = index + 1
   end
   file:close()
end

local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }

function request()
   local token = tokens[next_token]
   if token == nil then
      exhausted = exhausted + 1
      wrk.thread:stop()
      token = "exhausted"
   end
   next_token = next_token + 1
   return wrk.format("POST", "/api/refresh/", headers, '{"refresh_token":"' .. token .. '"}')
end
