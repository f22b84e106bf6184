-- Figure 8: GET /api/books/{args[1]}/reviews/ of a book with 10,000 reviews: a random page among
-- the first args[2], newest first or most liked first.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local book, pages
local orderings = {"newest", "most_liked"}

function init(args)
  book, pages = args[1], tonumber(args[2])
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  return wrk.format("GET", "/api/books/" .. book .. "/reviews/?ordering="
    .. orderings[math.random(1, 2)] .. "&page=" .. math.random(1, pages))
end
