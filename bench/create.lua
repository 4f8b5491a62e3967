-- wrk script for bench/ task creation: every request is a POST /api/tasks
-- with a JSON body (title numbered per wrk thread, so bodies differ), the
-- headers given with -H (the session cookie) plus Content-Type. Prints the
-- same result line as latency.lua (loaded from the same directory).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "latency.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format(
    '{"title":"Bench task %d","description":"Created by wrk for the creation benchmark",' ..
    '"priority":"high","tags":["bench","wrk"],"dueDate":"2030-01-01T00:00:00Z"}', n))
end
