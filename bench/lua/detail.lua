-- Figure 3: GET /api/books/{id}/ for random ids in [args[1], args[2]].
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local first, last

function init(args)
  first, last = tonumber(args[1]), tonumber(args[2])
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  return wrk.format("GET", "/api/books/" .. math.random(first, last) .. "/")
end
