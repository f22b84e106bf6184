-- Figure 2: GET /api/books/?search=<term>, the terms (args) taken in turn by each thread.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local terms = {}
local next_term = 1

function init(args)
  for _, term in ipairs(args) do table.insert(terms, term) end
  next_term = 1 + (tid or 0) % #terms
end

function request()
  local term = terms[next_term]
  next_term = next_term % #terms + 1
  return wrk.format("GET", "/api/books/?search=" .. term)
end
