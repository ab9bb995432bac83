# The Python half of the sandbox: it runs inside pyodide, in a worker whose JS realm is stripped,
# in a subprocess with an empty environment. It parses, statically checks and runs one job at a
# time and answers with a JSON string. Import bans here are a policy layer (determinism, no I/O,
# no JS bridge); the hard guarantees come from the JS realm and the process (see src/exec/README.md).

import ast
import builtins
import json
import sys

_real_import = builtins.__import__

# Sandbox integrity: always refused, whatever the caller's list says.
ALWAYS_BANNED = frozenset({
    "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip",
    "ctypes", "_ctypes", "importlib", "_imp", "_frozen_importlib", "_frozen_importlib_external",
    "builtins", "gc", "sys", "os", "posix", "_posixsubprocess", "subprocess", "socket", "_socket",
    "marshal", "pickle", "_pickle", "copyreg", "inspect", "code", "codeop", "types", "_thread",
    "threading", "multiprocessing", "signal", "resource", "io", "_io", "pathlib", "shutil",
    "tempfile", "glob", "fileinput", "zipimport", "pkgutil", "runpy", "site", "sysconfig",
    "_sysconfigdata__emscripten_wasm32-emscripten", "ssl", "select", "selectors", "asyncio",
    "http", "urllib", "ftplib", "smtplib", "webbrowser", "_weakref", "weakref", "faulthandler",
    "tracemalloc", "atexit", "_signal", "_opcode", "opcode", "dis", "_abc", "__main__",
})

# Names user code may not call or reference: dynamic code, I/O, reflection on scopes.
BANNED_NAMES = frozenset({
    "__import__", "exec", "eval", "compile", "open", "breakpoint", "input", "help", "exit", "quit",
    "globals", "locals", "vars", "__builtins__", "__loader__", "__spec__", "memoryview",
})

# Attributes that walk from a value to frames, globals, classes or code: the classic escapes.
BANNED_ATTRS = frozenset({
    "__class__", "__bases__", "__base__", "__mro__", "mro", "__subclasses__", "__globals__",
    "__builtins__", "__code__", "__closure__", "__dict__", "__getattribute__", "__reduce__",
    "__reduce_ex__", "__import__", "__loader__", "__spec__", "__self__", "__func__",
    "__traceback__", "__objclass__", "__wrapped__", "__init_subclass__", "__class_getitem__",
    "__set_name__", "__subclasshook__", "__setattr__", "__delattr__",
    "tb_frame", "tb_next", "f_back", "f_globals", "f_locals", "f_builtins", "f_code",
    "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "co_code", "co_consts",
})

PLAIN_TYPES = (type(None), bool, int, float, complex, str, bytes)
CONTAINERS = (list, tuple, set, frozenset, dict)


class _Violation(Exception):
    """Raised into user code when it reaches something banned; the job verdict is 'banned' even if caught."""


class _OutputLimit(BaseException):
    """Raised into user code when it writes past the limit; BaseException so `except Exception` misses it."""


class _Job:
    def __init__(self, banned, output_bytes):
        self.banned = banned
        self.output_bytes = output_bytes
        self.violation = None
        self.written = 0
        self.overflow = False
        self.chunks = []


_job = None


def _refuse(what):
    if _job is not None and _job.violation is None:
        _job.violation = what
    raise _Violation(what)


def _is_banned_module(name, banned):
    parts = name.split(".")
    return any(".".join(parts[: i + 1]) in banned for i in range(len(parts)))


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level != 0:
        _refuse("relative import")
    banned = _job.banned if _job is not None else ALWAYS_BANNED
    if _is_banned_module(name, banned):
        _refuse(f"banned module '{name}'")
    for sub in fromlist or ():
        if isinstance(sub, str) and _is_banned_module(f"{name}.{sub}", banned):
            _refuse(f"banned module '{name}.{sub}'")
    return _real_import(name, globals, locals, fromlist, level)


def _refuser(name):
    def refused(*args, **kwargs):
        _refuse(f"banned builtin '{name}'")
    refused.__name__ = name
    return refused


def _guarded_getattr(obj, name, *default):
    if isinstance(name, str) and name in BANNED_ATTRS:
        _refuse(f"banned attribute '{name}'")
    return getattr(obj, name, *default)


def _guarded_setattr(obj, name, value):
    if isinstance(name, str) and name in BANNED_ATTRS:
        _refuse(f"banned attribute '{name}'")
    return setattr(obj, name, value)


def _guarded_delattr(obj, name):
    if isinstance(name, str) and name in BANNED_ATTRS:
        _refuse(f"banned attribute '{name}'")
    return delattr(obj, name)


def _user_builtins():
    b = dict(builtins.__dict__)
    for name in BANNED_NAMES:
        if name in b:
            b[name] = _refuser(name)
    b["__import__"] = _guarded_import
    b["getattr"] = _guarded_getattr
    b["setattr"] = _guarded_setattr
    b["delattr"] = _guarded_delattr
    return b


class _BoundedWriter:
    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str")
        j = _job
        j.written += len(s.encode("utf-8", "replace"))
        if j.written > j.output_bytes:
            j.overflow = True
            raise _OutputLimit()
        j.chunks.append(s)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False


_writer = _BoundedWriter()


def _static_check(tree, banned):
    """First banned construct in a parsed tree, or None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_banned_module(alias.name, banned):
                    return f"banned module '{alias.name}' (line {node.lineno})"
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                return f"relative import (line {node.lineno})"
            mod = node.module or ""
            if _is_banned_module(mod, banned):
                return f"banned module '{mod}' (line {node.lineno})"
            for alias in node.names:
                if _is_banned_module(f"{mod}.{alias.name}", banned):
                    return f"banned module '{mod}.{alias.name}' (line {node.lineno})"
        elif isinstance(node, ast.Name) and node.id in BANNED_NAMES:
            return f"banned name '{node.id}' (line {node.lineno})"
        elif isinstance(node, ast.Attribute) and node.attr in BANNED_ATTRS:
            return f"banned attribute '{node.attr}' (line {node.lineno})"
    return None


class _Fail(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _parse(source, mode, what):
    try:
        return ast.parse(source, filename=f"<{what}>", mode=mode)
    except SyntaxError as e:
        raise _Fail("syntax", f"{what}: {e.msg} (line {e.lineno})")
    except (ValueError, RecursionError, MemoryError) as e:
        raise _Fail("syntax", f"{what}: {type(e).__name__}: {e}")


def _checked(tree, what):
    problem = _static_check(tree, _job.banned)
    if problem:
        raise _Fail("banned", f"{what}: {problem}")
    return tree


def _plain_size(value, limit):
    """Checks that a value is built only from exact builtin value types (no subclasses, no cycles,
    so `==` cannot run user code) and estimates its repr size; raises _Fail otherwise."""
    size = 0
    stack = [(value, 0)]
    on_path = set()
    while stack:
        v, depth = stack.pop()
        if depth > 200:
            raise _Fail("unsupported_value", "output nests deeper than 200 levels")
        t = type(v)
        if t in PLAIN_TYPES:
            if t is str or t is bytes:
                size += len(v) + 3
            else:
                size += 8
        elif t in CONTAINERS:
            if id(v) in on_path:
                raise _Fail("unsupported_value", "output contains a cycle")
            if t is not tuple and t is not frozenset:
                on_path.add(id(v))  # conservative: a shared list counts as a cycle
            size += 2 + 2 * len(v)
            items = v.items() if t is dict else v
            for item in items:
                if t is dict:
                    stack.append((item[0], depth + 1))
                    stack.append((item[1], depth + 1))
                else:
                    stack.append((item, depth + 1))
        else:
            raise _Fail("unsupported_value", f"output of type {t.__name__} is not a plain value (None, bool, int, float, complex, str, bytes, list, tuple, set, frozenset, dict)")
        if size > limit:
            raise _Fail("output_limit", f"output larger than {limit} bytes")
    return size


def _bounded_repr(value):
    _plain_size(value, _job.output_bytes)
    try:
        r = repr(value)
    except ValueError as e:  # int too large to convert to str
        raise _Fail("output_limit", str(e))
    if len(r.encode("utf-8", "replace")) > _job.output_bytes:
        raise _Fail("output_limit", f"output larger than {_job.output_bytes} bytes")
    return r


_VALUE_NAMES = {"inf": float("inf"), "nan": float("nan"), "set": set, "frozenset": frozenset}


def _eval_value(source, what):
    """A value written as a Python expression (e.g. an expected output), evaluated here, with no builtins."""
    tree = _checked(_parse(source, "eval", what), what)
    g = {"__builtins__": {}}
    g.update(_VALUE_NAMES)
    return eval(compile(tree, f"<{what}>", "eval"), g)


def _call_tree(entry, args_source):
    """`entry(ARGS)` as an expression tree; parsing as one eval-mode call blocks statement injection."""
    tree = _parse(f"{entry}(\n{args_source}\n)", "eval", "input")
    if not isinstance(tree.body, ast.Call):
        raise _Fail("syntax", "input: must be the arguments of one call")
    return _checked(tree, "input")


def _run_program(program, entry, args_source):
    tree = _checked(_parse(program, "exec", "program"), "program")
    call = _call_tree(entry, args_source)
    g = {"__builtins__": _user_builtins(), "__name__": "__main__"}
    exec(compile(tree, "<program>", "exec"), g)
    if not callable(g.get(entry)):
        raise _Fail("exception", f"program: defines no function '{entry}'")
    return eval(compile(call, "<input>", "eval"), g)


def _outcome(op, req):
    if op == "run" or op == "check":
        value = _run_program(req["program"], req.get("entry") or "f", req["input"])
        out = {"output": _bounded_repr(value)}
        if op == "check":
            expected = _eval_value(req["expected"], "expected")
            _plain_size(expected, 1 << 62)
            out["equal"] = bool(value == expected)
        return out
    if op == "compare":
        a = _eval_value(req["a"], "a")
        b = _eval_value(req["b"], "b")
        _plain_size(a, 1 << 62)
        _plain_size(b, 1 << 62)
        return {"output": _bounded_repr(a), "equal": bool(a == b)}
    if op == "parse":
        _checked(_parse(req["program"], "exec", "program"), "program")
        return {}
    raise _Fail("bad_request", f"unknown op {op!r}")


def _error_text(e):
    text = f"{type(e).__name__}: {e}"
    return text if len(text) <= 2000 else text[:2000] + "..."


def handle(request_json):
    """One job: request JSON in, verdict JSON out (without timing, which the JS side adds)."""
    global _job
    req = json.loads(request_json)
    banned = ALWAYS_BANNED | frozenset(req.get("banned") or ())
    _job = _Job(banned, int(req.get("outputBytes") or 65536))
    saved = (sys.stdout, sys.stderr)
    sys.stdout = sys.stderr = _writer
    modules_before = set(sys.modules)
    try:
        try:
            verdict = {"ok": True, **_outcome(req.get("op"), req)}
        except _Fail as e:
            verdict = {"ok": False, "error": {"kind": e.kind, "message": e.message}}
        except KeyboardInterrupt:
            verdict = {"ok": False, "error": {"kind": "timeout", "message": "interrupted at the time limit"}}
        except MemoryError as e:
            verdict = {"ok": False, "error": {"kind": "memory", "message": _error_text(e)}}
        except _OutputLimit:
            verdict = None
        except BaseException as e:  # user exceptions, SystemExit included
            verdict = {"ok": False, "error": {"kind": "exception", "message": _error_text(e)}}
        if _job.violation is not None:
            verdict = {"ok": False, "error": {"kind": "banned", "message": _job.violation}}
        elif _job.overflow:
            verdict = {"ok": False, "error": {"kind": "output_limit", "message": f"printed more than {_job.output_bytes} bytes"}}
        stdout = "".join(_job.chunks)
        if stdout:
            verdict["stdout"] = stdout
        return json.dumps(verdict)
    finally:
        sys.stdout, sys.stderr = saved
        # Modules first imported by this job are dropped, so the next job imports a fresh copy
        # and cannot see state a previous program left in them.
        for name in set(sys.modules) - modules_before:
            sys.modules.pop(name, None)
        _job = None


def isolate():
    """Runs once before any user code: forgets every module that bridges to JS."""
    for name in list(sys.modules):
        root = name.split(".")[0]
        if root in ("js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip", "ctypes", "_ctypes"):
            del sys.modules[name]
    # Keep handle reachable for the JS side only through the returned proxy.
    return handle
