-- wrk script: GET /api/v1/members/{id} with ids drawn at random from $IDS_FILE, as $TOKEN.
-- $PREFIX (optional) goes before the path: the floor serves the bare member read at /bare/….
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do
  ids[#ids + 1] = line
end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
local prefix = os.getenv("PREFIX") or ""
math.randomseed(os.time())

request = function()
  return wrk.format("GET", prefix .. "/api/v1/members/" .. ids[math.random(#ids)], headers)
end
