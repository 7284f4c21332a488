-- Run with -i: defines a global that the REPL then reads.
from_script = "set by " .. arg[0]:match("[^/]*$")
