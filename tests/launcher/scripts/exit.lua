-- Exits with the status given as the first argument.
io.write("before exit\n")
os.exit(tonumber(arg[1]))
