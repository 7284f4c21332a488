"""The lucid Jupyter kernel, headless: examples/notebook.ipynb executed by
nbconvert (outputs asserted), and a kernel client for completion and for an
error that must not kill the kernel.

    /usr/bin/python3 tests/jupyter/kernel_test.py <lucid binary> <source dir>
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile

lucid, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
home = tempfile.mkdtemp()
os.environ["JUPYTER_PATH"] = home
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(home, "runtime")
os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
subprocess.run(["sh", os.path.join(src, "jupyter", "install.sh"), lucid, os.path.join(home, "kernels")],
               check=True)
checks = 0


def check(cond, msg):
    global checks
    if not cond:
        sys.exit("FAIL: " + msg)
    checks += 1


def text_of(o):
    v = o.get("text") or o.get("data", {}).get("text/plain") or ""
    return "".join(v) if isinstance(v, list) else v


# ---- the example notebook, executed --------------------------------------------
out = os.path.join(home, "executed.ipynb")
subprocess.run(["jupyter", "nbconvert", "--to", "notebook", "--execute",
                os.path.join(src, "examples", "notebook.ipynb"), "--output", out],
               check=True, capture_output=True)
cells = [c for c in json.load(open(out))["cells"] if c["cell_type"] == "code"]
grad = text_of(cells[0]["outputs"][0])
check(cells[0]["outputs"][0]["output_type"] == "execute_result" and "2. 4." in grad and "6. 8." in grad,
      "the gradient is shown as the cell's value: " + grad)
m = re.search(r"loss ([\d.]+) -> ([\d.]+)", text_of(cells[1]["outputs"][0]))
check(m and float(m.group(2)) < float(m.group(1)) / 10, "the GRU trains (printed output)")
png = cells[2]["outputs"][0]
check(png["output_type"] == "display_data" and
      base64.b64decode(png["data"]["image/png"])[:4] == b"\x89PNG", "lucid.plot shows an inline PNG")
err = cells[3]["outputs"][0]
check(err["output_type"] == "error" and err["ename"] == "LuaError" and
      "cell:1: Linear: input has 5 features" in err["evalue"] and len(err["traceback"]) > 1,
      "an error shows its message and traceback: %r" % err)
check(text_of(cells[4]["outputs"][0]) == "60", "variables live on after an error")

# ---- a kernel client: completion, errors, state --------------------------------
from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name="lucid")
try:
    def reply_to(msg_id):
        while True:
            msg = kc.get_shell_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def run(code):
        msg_id = kc.execute(code)
        outputs, reply = [], reply_to(msg_id)
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
        return reply["content"], outputs

    def complete(code):
        return reply_to(kc.complete(code, len(code)))["content"]

    c = complete("lucid.ra")
    check({"rand", "randn", "randint"} <= set(c["matches"]) and c["cursor_start"] == len("lucid."),
          "completes lucid.ra: %r" % c)
    run("t = lucid.ones(3)")
    check("sum" in complete("t:su")["matches"], "completes tensor methods")
    check(not any(m.startswith("_") for m in complete("lucid.")["matches"]), "no private names")
    reply, _ = run("error('bad')")
    check(reply["status"] == "error" and "bad" in reply["evalue"], "an error reply")
    reply, outputs = run("t:sum():item() + 1")
    check(reply["status"] == "ok" and any(text_of(o["content"]) == "4.0" for o in outputs),
          "the kernel lives on with its state")
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)

print("jupyter kernel: %d checks passed" % checks)
sys.stdout.flush()
os._exit(0)  # skip jupyter_client's noisy finalizers at interpreter exit
