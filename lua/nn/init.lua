-- nn: modules. Filled in by the nn issue.
local M = {}
return M
