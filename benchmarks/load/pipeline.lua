-- wrk script: send `depth` requests back to back per round trip (pipelining).
local depth = 16
init = function(args)
  local path = args[1] or "/plaintext"
  local r = {}
  for i = 1, depth do r[i] = wrk.format(nil, path) end
  req = table.concat(r)
end
request = function() return req end
