-- wrk script: GET the paths of $PATHS_FILE in turn (each thread from its own offset), as
-- $TOKEN. Each line is "ACCEPT<TAB>PATH"; ACCEPT "-" sends no Accept header. Prints the
-- answers by status at the end.
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  local accept, path = line:match("^([^\t]+)\t(.+)$")
  if path then
    paths[#paths + 1] = { accept = accept, path = path }
  end
end
local token = os.getenv("TOKEN")
local threads = {}
local counter = 1
statuses = {}

setup = function(thread)
  thread:set("offset", #threads * 7)
  threads[#threads + 1] = thread
end

init = function()
  counter = offset or 0
end

request = function()
  counter = counter + 1
  local p = paths[(counter % #paths) + 1]
  local headers = { ["Authorization"] = "Bearer " .. token }
  if p.accept ~= "-" then
    headers["Accept"] = p.accept
  end
  return wrk.format("GET", p.path, headers)
end

response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function()
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do
      total[code] = (total[code] or 0) + n
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d %d\n", code, n))
  end
end
