-- GET of a fixed path (figure 1, reference R1): wrk http://host/path -- (no args)
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
