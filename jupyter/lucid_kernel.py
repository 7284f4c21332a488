"""A Jupyter kernel for lucid: a wrapper kernel (ipykernel's Kernel) around
one lucid process running jupyter/server.lua, which holds the Lua state.

Why a wrapper: ipykernel does the Jupyter protocol (ZeroMQ sockets, message
signing, heartbeats) and lucid keeps doing what it does in its own process, so
the kernel is a page of Python and a Lua loop instead of a ZeroMQ client in C.
An error in a cell is an error reply with its traceback; the process goes on.
"""
import base64
import os
import subprocess
import sys

from ipykernel.kernelbase import Kernel

HERE = os.path.dirname(os.path.abspath(__file__))


class LucidKernel(Kernel):
    implementation = "lucid"
    implementation_version = "0.1"
    language = "lua"
    language_version = "5.4"
    language_info = {"name": "lua", "mimetype": "text/x-lua", "file_extension": ".lua",
                     "codemirror_mode": "lua", "pygments_lexer": "lua"}
    banner = "lucid: tensors, autograd and recurrent networks in Lua"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        read_fd, write_fd = os.pipe()
        env = dict(os.environ, LUCID_KERNEL_FD=str(write_fd))
        lucid = os.environ.get("LUCID_BIN", "lucid")
        self.proc = subprocess.Popen([lucid, os.path.join(HERE, "server.lua")],
                                     stdin=subprocess.PIPE, pass_fds=(write_fd,), env=env)
        os.close(write_fd)
        self.answers = os.fdopen(read_fd, "rb")

    def _request(self, kind, text):
        data = text.encode()
        self.proc.stdin.write(b"%s %d\n" % (kind.encode(), len(data)) + data)
        self.proc.stdin.flush()
        while True:
            header = self.answers.readline()
            if not header:
                raise RuntimeError("the lucid process ended")
            kind_, n = header.decode().split()
            body = self.answers.read(int(n)).decode(errors="replace")
            if kind_ == "DONE":
                return
            yield kind_, body

    def do_execute(self, code, silent, store_history=True, user_expressions=None,
                   allow_stdin=False):
        error = None
        for kind, body in self._request("EXEC", code):
            if silent:
                continue
            if kind == "OUT":
                self.send_response(self.iopub_socket, "stream", {"name": "stdout", "text": body})
            elif kind == "RESULT":
                self.send_response(self.iopub_socket, "execute_result", {
                    "execution_count": self.execution_count, "data": {"text/plain": body},
                    "metadata": {}})
            elif kind == "PNG":
                with open(body, "rb") as f:
                    png = base64.b64encode(f.read()).decode()
                os.remove(body)
                self.send_response(self.iopub_socket, "display_data",
                                   {"data": {"image/png": png, "text/plain": "<plot>"}, "metadata": {}})
            elif kind == "ERR":
                error = body
        if error is not None:
            first = error.split("\n", 1)[0]
            content = {"ename": "LuaError", "evalue": first, "traceback": error.split("\n")}
            if not silent:
                self.send_response(self.iopub_socket, "error", content)
            return dict(content, status="error", execution_count=self.execution_count)
        return {"status": "ok", "execution_count": self.execution_count, "payload": [],
                "user_expressions": {}}

    def do_complete(self, code, cursor_pos):
        before = code[:cursor_pos]
        matches = []
        for kind, body in self._request("COMPLETE", before):
            if kind == "MATCHES" and body:
                matches = body.split("\n")
        word = len(before) - len(before.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"))
        return {"matches": matches, "cursor_start": cursor_pos - word, "cursor_end": cursor_pos,
                "metadata": {}, "status": "ok"}

    def do_shutdown(self, restart):
        self.proc.stdin.close()
        self.proc.wait(timeout=5)
        return {"status": "ok", "restart": restart}


if __name__ == "__main__":
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(kernel_class=LucidKernel)
