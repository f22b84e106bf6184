-- Figures 6 and 7: POST /api/auth/login/ with a wrong password for an account that does not exist
-- (the login hashes the password anyway, so that unknown and known accounts answer alike).
-- args[1] "many": each request names a made-up client in X-Forwarded-For (the bench server trusts
-- one proxy), as a flood from many addresses that no per-address limit stops; "one": no header.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local many = false
local sent = 0

function init(args)
  many = args[1] == "many"
  math.randomseed(os.time() + (tid or 0) * 15485863)
end

function request()
  sent = sent + 1
  local headers = { ["Content-Type"] = "application/json" }
  if many then
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255),
      math.random(0, 255), math.random(1, 254))
  end
  local body = string.format('{"username": "flood-%d-%d@example.com", "password": "Wr0ng!pass"}',
    tid or 0, sent)
  return wrk.format("POST", "/api/auth/login/", headers, body)
end
