-- Raises an error two calls deep, so the traceback has a frame to show.
local function inner() error("fixture failure") end
local function outer() inner() end
outer()
