"""docs/api.md stays true: every ```cpp block is compiled and run.

Each block is a whole program that exits 0 when what it shows holds. A
block whose first line is `// adapters` is linked with the built
libtestr-adapters.a. Also: every public header of include/testr/ has its
own section. Run with /usr/bin/python3 through meson test.
"""
import concurrent.futures
import os
import re
import subprocess
import tempfile
import unittest

SRC = os.environ["TESTR_SOURCE_ROOT"]
BUILD = os.environ["TESTR_BUILD_ROOT"]
CXX = os.environ.get("CXX", "c++")
DOC = os.path.join(SRC, "docs", "api.md")


def blocks():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    out = []
    for m in re.finditer(r"^```cpp\n(.*?)^```$", text, re.S | re.M):
        line = text.count("\n", 0, m.start()) + 1
        out.append((line, m.group(1)))
    return text, out


def build_and_run(line, code, tmp):
    src = os.path.join(tmp, f"block_{line}.cpp")
    exe = os.path.join(tmp, f"block_{line}")
    with open(src, "w", encoding="utf-8") as f:
        f.write(code)
    cmd = [CXX, "-std=c++20", "-O0", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
           "-I", os.path.join(SRC, "include"), src, "-o", exe]
    if code.startswith("// adapters"):
        cmd[-3:-3] = ["-I", os.path.join(SRC, "adapters")]
        cmd += [os.path.join(BUILD, "adapters", "libtestr-adapters.a"), "-ldeflate", "-lpcre2-8", "-ldb"]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        return f"docs/api.md:{line}: does not compile:\n{built.stderr[-3000:]}"
    ran = subprocess.run([exe], capture_output=True, text=True, timeout=60)
    if ran.returncode != 0:
        return f"docs/api.md:{line}: exits {ran.returncode}:\n{ran.stdout}{ran.stderr}"
    return None


class ApiDoc(unittest.TestCase):
    def test_every_block_compiles_and_holds(self):
        _, found = blocks()
        self.assertGreaterEqual(len(found), 8)
        with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(2) as pool:
            problems = [p for p in pool.map(lambda b: build_and_run(b[0], b[1], tmp), found) if p]
        self.assertEqual(problems, [], "\n\n".join(problems))

    def test_every_public_header_has_a_section(self):
        text, _ = blocks()
        headers = sorted(h for h in os.listdir(os.path.join(SRC, "include", "testr")) if h.endswith(".hpp"))
        missing = [h for h in headers if f"## `testr/{h}`" not in text]
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
