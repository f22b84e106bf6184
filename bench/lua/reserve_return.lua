-- Figure 4: each thread (one connection each: run with -t N -c N) cycles through its own members:
-- POST /api/reservations/ {book, days} on a random book, then DELETE the reservation (or leave the
-- queue if it was queued) with the same member's token. One finished POST+DELETE is one cycle.
-- args: tokens_file first_book last_book thread_count
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens = {}
local next_member = 1
local first_book, last_book
local pending_path, token
cycles = 0

function init(args)
  local threads = tonumber(args[4])
  local index = 0
  for line in io.lines(args[1]) do
    if index % threads == (tid or 0) then table.insert(tokens, line) end
    index = index + 1
  end
  first_book, last_book = tonumber(args[2]), tonumber(args[3])
  math.randomseed(os.time() + (tid or 0) * 104729)
end

local function headers()
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
  if pending_path then
    return wrk.format("DELETE", pending_path, headers())
  end
  token = tokens[next_member]
  next_member = next_member % #tokens + 1
  local body = string.format('{"book": %d, "days": %d}', math.random(first_book, last_book),
    math.random(1, 3))
  return wrk.format("POST", "/api/reservations/", headers(), body)
end

function response(status, headers, body)
  count_status(status)
  if pending_path then
    pending_path = nil
    if status == 204 then cycles = cycles + 1 end
    return
  end
  -- The top-level "id" is the first one DRF writes (the serializers put it before nested objects).
  local id = string.match(body, '"id"%s*:%s*(%d+)')
  if status == 201 and id then
    pending_path = "/api/reservations/" .. id .. "/"
  elseif status == 202 and id then
    pending_path = "/api/reservations/queue/" .. id .. "/"
  end
end
