#!/usr/bin/env python3
"""Packaging and header-hygiene checks for capmatch, one check per invocation.

Usage: packaging_test.py --source-root DIR --version X.Y.Z --cxx=CMD [--cxx=ARG ...] CHECK

Header hygiene (the headers are found at run time: every include/capmatch/*.hpp, in the
umbrella's include order, then the rest):
  standalone        each public header, and the single header, compiles on its own (one TU each)
  odr               two translation units that include every header link into one program;
                    every capmatch symbol in it is inside the versioned inline namespace
  macros            every macro the headers define starts with CAPMATCH_
  namespace         declarations go through CAPMATCH_NAMESPACE_BEGIN (versioned inline namespace)
  version           version.hpp, meson's project version, CHANGELOG.md and the single header agree

Consumers (each builds and runs tests/packaging/consumer/app.cpp from a fresh temporary directory):
  meson_subproject        dependency('capmatch') through meson.override_dependency
  pkgconfig               meson install to a prefix, then pkg-config --cflags capmatch
  cmake_find_package      meson install to a prefix, then find_package(capmatch CONFIG REQUIRED)
  cmake_add_subdirectory  add_subdirectory() of the root CMakeLists.txt
  cmake_fetchcontent      FetchContent with SOURCE_DIR, then with a file:// URL to a tarball
  single_include          plain -I single_include

Set PACKAGING_TEST_KEEP=1 to keep the temporary directories.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONSUMER = HERE / "consumer"
# What tests/packaging/consumer/app.cpp prints.
EXPECTED_APP_OUTPUT = 'capmatch {version}: {{"chat:lobby":["subscribe"]}} allowed=1 denied=0\n'

# meson's warning_level=3 plus werror; the core also builds without exceptions and RTTI.
STRICT = ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
CORE_FLAGS = STRICT + ["-fno-exceptions", "-fno-rtti"]


class Failure(Exception):
    pass


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.root = Path(args.source_root).resolve()
        self.version = args.version
        self.cxx: list[str] = args.cxx
        spec = importlib.util.spec_from_file_location("amalgamate", self.root / "scripts" / "amalgamate.py")
        assert spec is not None and spec.loader is not None
        self.amalgamate = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.amalgamate)
        self.keep = os.environ.get("PACKAGING_TEST_KEEP") == "1"

    # Every public header, umbrella include order first, as paths relative to include/.
    def headers(self) -> list[str]:
        inc = self.root / "include"
        return [p.relative_to(inc).as_posix() for p in self.amalgamate.all_headers()] + ["capmatch/capmatch.hpp"]

    def header_text(self, rel: str) -> str:
        return (self.root / "include" / rel).read_text(encoding="utf-8")

    def tmpdir(self, name: str) -> Path:
        d = Path(tempfile.mkdtemp(prefix=f"capmatch-{name}-"))
        if self.keep:
            print(f"(keeping {d})")
        return d

    def cleanup(self, d: Path) -> None:
        if not self.keep:
            shutil.rmtree(d, ignore_errors=True)


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, what: str = "") -> str:
    """Runs cmd; on failure raises with its output. Returns stdout+stderr."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)
    if proc.returncode != 0:
        raise Failure(f"{what or 'command'} failed (exit {proc.returncode}):\n  $ {shlex.join(cmd)}\n"
                      f"{proc.stdout}")
    return proc.stdout


def check_app(exe: Path, ctx: Context) -> None:
    out = run([str(exe)], what="consumer program")
    want = EXPECTED_APP_OUTPUT.format(version=ctx.version)
    if out != want:
        raise Failure(f"consumer printed {out!r}, expected {want!r}")
    print(f"consumer program output OK: {out.strip()}")


def parallel(jobs, fn) -> list[str]:
    """Runs fn over jobs on two workers; returns the error texts."""
    errors = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for job, fut in zip(jobs, [pool.submit(fn, j) for j in jobs]):
            try:
                fut.result()
            except Failure as e:
                errors.append(f"{job}: {e}")
    return errors


# ---------------------------------------------------------------- header hygiene

def check_standalone(ctx: Context) -> None:
    d = ctx.tmpdir("standalone")
    try:
        def compile_one(job: tuple[str, str, list[str]]) -> None:
            name, include, incdir = job
            tu = d / (re.sub(r"[^A-Za-z0-9]", "_", name) + ".cpp")
            # Twice: the second include must be a no-op (#pragma once / guards).
            tu.write_text(f"#include <{include}>\n#include <{include}>\n", encoding="utf-8")
            run(ctx.cxx + CORE_FLAGS + ["-fsyntax-only"] + incdir + [str(tu)], what=f"compiling {include} alone")

        inc = ["-I", str(ctx.root / "include")]
        jobs = [(h, h, inc) for h in ctx.headers()]
        jobs.append(("single_include/capmatch.hpp", "capmatch.hpp", ["-I", str(ctx.root / "single_include")]))
        errors = parallel(jobs, compile_one)
        if errors:
            raise Failure("\n".join(errors))
        print(f"{len(jobs)} headers each compile on their own: {', '.join(j[0] for j in jobs)}")
    finally:
        ctx.cleanup(d)


ODR_TU = """\
{includes}
#include <string>

std::string odr_{n}() {{
  const auto key = capmatch::capability::parse(R"({{"chat:*":["publish","subscribe"],"news":["subscribe"]}})");
  const auto request = capmatch::capability::parse(R"({{"chat:{n}":["subscribe","presence"]}})");
  if (!key || !request) return "parse failed";
  const auto effective = capmatch::intersect(*key, *request);
  const auto why = capmatch::explain(*key, "chat:{n}", capmatch::operation::publish);
  return (effective ? effective->to_json() : std::string(effective.error().message())) +
         (why.allowed ? " allowed" : " denied") + (key->ops_for("news").contains(capmatch::operation::subscribe) ? " ok" : " no");
}}
"""
ODR_MAIN = """\
#include <cstdio>
#include <string>
std::string odr_1();
std::string odr_2();
int main() {
  std::printf("%s\\n%s\\n", odr_1().c_str(), odr_2().c_str());
  return 0;
}
"""
ODR_EXPECTED = '{"chat:1":["subscribe"]} allowed ok\n{"chat:2":["subscribe"]} allowed ok\n'


def inline_namespace(ctx: Context) -> str:
    text = ctx.header_text("capmatch/version.hpp")
    m = re.search(r"#\s*define\s+CAPMATCH_NAMESPACE_BEGIN\s+namespace\s+capmatch\s*\{\s*inline\s+namespace\s+(\w+)\s*\{",
                  text)
    if not m:
        raise Failure("version.hpp: CAPMATCH_NAMESPACE_BEGIN does not open 'namespace capmatch { inline namespace vN {'")
    return m.group(1)


def check_odr(ctx: Context) -> None:
    d = ctx.tmpdir("odr")
    ns = inline_namespace(ctx)
    try:
        variants = {
            "headers": ("\n".join(f"#include <{h}>" for h in ctx.headers()), ["-I", str(ctx.root / "include")]),
            "single_header": ("#include <capmatch.hpp>", ["-I", str(ctx.root / "single_include")]),
        }
        for name, (includes, incdir) in variants.items():
            srcs = []
            for n in (1, 2):
                tu = d / f"{name}_{n}.cpp"
                tu.write_text(ODR_TU.format(includes=includes, n=n), encoding="utf-8")
                srcs.append(str(tu))
            main = d / f"{name}_main.cpp"
            main.write_text(ODR_MAIN, encoding="utf-8")
            exe = d / f"{name}_app"
            # -O0 keeps every inline function as an out-of-line (weak) definition in both objects.
            objs = []
            for src in srcs + [str(main)]:
                obj = src[:-4] + ".o"
                run(ctx.cxx + STRICT + ["-O0", "-c"] + incdir + [src, "-o", obj], what=f"compiling {Path(src).name}")
                objs.append(obj)
            run(ctx.cxx + objs + ["-o", str(exe)], what=f"linking the {name} ODR program")
            out = run([str(exe)], what=f"running the {name} ODR program")
            if out != ODR_EXPECTED:
                raise Failure(f"{name} ODR program printed {out!r}, expected {ODR_EXPECTED!r}")
            nm = shutil.which("nm")
            if nm:
                syms = run([nm, "-C", "--defined-only", str(exe)], what="nm")
                bad = sorted({line for line in syms.splitlines() if re.search(rf"capmatch::(?!{ns}::)", line)})
                if bad:
                    raise Failure(f"symbols outside the inline namespace capmatch::{ns}:\n  " + "\n  ".join(bad[:20]))
                count = sum(1 for line in syms.splitlines() if f"capmatch::{ns}::" in line)
                print(f"{name}: two TUs link and run; {count} capmatch symbols, all in capmatch::{ns}")
            else:
                print(f"{name}: two TUs link and run (nm not found: symbol check skipped)")
    finally:
        ctx.cleanup(d)


DEFINE_RE = re.compile(r"^\s*#\s*define\s+(\w+)", re.MULTILINE)


def check_macros(ctx: Context) -> None:
    # 1. Text: every #define in the headers and the single header.
    files = {h: ctx.header_text(h) for h in ctx.headers()}
    files["single_include/capmatch.hpp"] = (ctx.root / "single_include" / "capmatch.hpp").read_text(encoding="utf-8")
    bad = [f"{f}: {m}" for f, text in files.items() for m in DEFINE_RE.findall(text) if not m.startswith("CAPMATCH_")]
    # 2. Preprocessor: macros defined after including every header that the standard headers
    #    the library includes do not define themselves.
    d = ctx.tmpdir("macros")
    try:
        system = sorted({m.group(1) for text in files.values()
                         for m in re.finditer(r"^\s*#\s*include\s*<([^>]+)>", text, re.MULTILINE)
                         if not m.group(1).startswith("capmatch")})
        base = d / "base.cpp"
        base.write_text("".join(f"#include <{s}>\n" for s in system), encoding="utf-8")
        full = d / "full.cpp"
        full.write_text(base.read_text() + "".join(f"#include <{h}>\n" for h in ctx.headers()), encoding="utf-8")

        def defined(tu: Path) -> set[str]:
            out = run(ctx.cxx + ["-std=c++20", "-E", "-dM", "-I", str(ctx.root / "include"), str(tu)],
                      what="preprocessing")
            return {m.group(1) for m in DEFINE_RE.finditer(out)}

        ours = defined(full) - defined(base)
        bad += [f"(preprocessor) {m}" for m in sorted(ours) if not m.startswith("CAPMATCH_")]
        if bad:
            raise Failure("macros without the CAPMATCH_ prefix:\n  " + "\n  ".join(bad))
        print(f"{len(ours)} macros, all CAPMATCH_: {', '.join(sorted(ours))}")
    finally:
        ctx.cleanup(d)


def check_namespace(ctx: Context) -> None:
    ns = inline_namespace(ctx)
    major = re.search(r"#\s*define\s+CAPMATCH_VERSION_MAJOR\s+(\d+)", ctx.header_text("capmatch/version.hpp"))
    problems = []
    if not major or not re.fullmatch(rf"v{major.group(1)}(_\d+)*", ns):
        problems.append(f"inline namespace '{ns}' does not name the major version")
    for h in ctx.headers():
        if h == "capmatch/version.hpp":
            continue
        text = ctx.header_text(h)
        # Comments and string literals aside, nothing may open namespace capmatch directly.
        code = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)
        if re.search(r"\bnamespace\s+capmatch\b", code):
            problems.append(f"{h}: opens 'namespace capmatch' directly; use CAPMATCH_NAMESPACE_BEGIN/END")
        begins, ends = code.count("CAPMATCH_NAMESPACE_BEGIN"), code.count("CAPMATCH_NAMESPACE_END")
        if begins != ends:
            problems.append(f"{h}: {begins} CAPMATCH_NAMESPACE_BEGIN but {ends} CAPMATCH_NAMESPACE_END")
        # A header of preprocessor lines only (matcher/inline.hpp: attribute macros) declares no
        # name, so it needs no namespace; any other header declares inside it.
        declares = re.sub(r"^[ \t]*#(?:\\\n|[^\n])*", "", code, flags=re.MULTILINE).strip()
        if h != "capmatch/capmatch.hpp" and begins == 0 and declares:
            problems.append(f"{h}: declares nothing inside CAPMATCH_NAMESPACE_BEGIN")
    # The compiler's view: names are reachable both ways.
    d = ctx.tmpdir("namespace")
    try:
        tu = d / "ns.cpp"
        tu.write_text("#include <capmatch/capmatch.hpp>\n#include <type_traits>\n"
                      f"static_assert(std::is_same_v<capmatch::capability, capmatch::{ns}::capability>);\n"
                      f"static_assert(std::is_same_v<capmatch::errc, capmatch::{ns}::errc>);\n", encoding="utf-8")
        run(ctx.cxx + STRICT + ["-fsyntax-only", "-I", str(ctx.root / "include"), str(tu)], what="namespace TU")
    except Failure as e:
        problems.append(str(e))
    finally:
        ctx.cleanup(d)
    if problems:
        raise Failure("\n".join(problems))
    print(f"every header declares inside capmatch::{ns} (inline)")


def check_version(ctx: Context) -> None:
    text = ctx.header_text("capmatch/version.hpp")
    macros = dict(re.findall(r"#\s*define\s+(CAPMATCH_VERSION_\w+)\s+(\S+)", text))
    problems = []
    try:
        parts = (macros["CAPMATCH_VERSION_MAJOR"], macros["CAPMATCH_VERSION_MINOR"], macros["CAPMATCH_VERSION_PATCH"])
        string = macros["CAPMATCH_VERSION_STRING"].strip('"')
    except KeyError as e:
        raise Failure(f"version.hpp lacks {e}") from None
    if ".".join(parts) != string:
        problems.append(f"version.hpp: MAJOR.MINOR.PATCH {'.'.join(parts)} != CAPMATCH_VERSION_STRING {string}")
    if string != ctx.version:
        problems.append(f"version.hpp says {string}, meson.build project() says {ctx.version}")
    changelog = ctx.root / "CHANGELOG.md"
    if not changelog.is_file():
        problems.append("CHANGELOG.md is missing")
    else:
        rel = re.search(r"^## \[(\d+\.\d+\.\d+)\]", changelog.read_text(encoding="utf-8"), re.MULTILINE)
        if not rel:
            problems.append("CHANGELOG.md has no release heading '## [X.Y.Z] - YYYY-MM-DD'")
        elif rel.group(1) != string:
            problems.append(f"CHANGELOG.md's latest release is {rel.group(1)}, version.hpp says {string}")
    single = (ctx.root / "single_include" / "capmatch.hpp").read_text(encoding="utf-8")
    if f"// Version {string}." not in single.split("#pragma once")[0]:
        problems.append("single_include/capmatch.hpp banner has another version (regenerate it)")
    if problems:
        raise Failure("\n".join(problems))
    print(f"version {string}: version.hpp, meson.build, CHANGELOG.md and the single header agree")


# ---------------------------------------------------------------- consumers

def meson_cmd() -> list[str]:
    exe = shutil.which("meson")
    return [exe] if exe else [sys.executable, "-m", "mesonbuild.mesonmain"]


def copy_consumer(dest: Path, *extra: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONSUMER / "app.cpp", dest / "app.cpp")
    for name in extra:
        shutil.copy(CONSUMER / name, dest / Path(name).name)


def compile_commands_use_isystem(build: Path, include_dir: str) -> None:
    cmds = json.loads((build / "compile_commands.json").read_text(encoding="utf-8"))
    cmd = next(c for c in cmds if c["file"].endswith("app.cpp"))
    text = cmd.get("command") or shlex.join(cmd["arguments"])
    if not re.search(r"-isystem\s*\S*" + re.escape(include_dir), text):
        raise Failure(f"capmatch's include directory is not a system include (-isystem):\n  {text}")
    print(f"includes are system includes: {text}")


def env_cxx(ctx: Context) -> dict[str, str]:
    return {"CXX": shlex.join(ctx.cxx), "PKG_CONFIG_PATH": "", "CMAKE_PREFIX_PATH": ""}


def check_meson_subproject(ctx: Context) -> None:
    d = ctx.tmpdir("meson-subproject")
    try:
        app = d / "consumer"
        copy_consumer(app, "meson.build")
        (app / "subprojects").mkdir()
        (app / "subprojects" / "capmatch").symlink_to(ctx.root, target_is_directory=True)
        # force-fallback: never pick up a capmatch installed on this machine.
        run(meson_cmd() + ["setup", str(d / "build"), str(app), "--force-fallback-for=capmatch"],
            env=env_cxx(ctx), what="meson setup of the consumer")
        run(["ninja", "-C", str(d / "build")], what="building the consumer")
        log = (d / "build" / "meson-logs" / "meson-log.txt").read_text(encoding="utf-8")
        if "Dependency capmatch found: YES" not in log or "(overridden)" not in log:
            raise Failure("dependency('capmatch') did not resolve through meson.override_dependency")
        compile_commands_use_isystem(d / "build", "subprojects/capmatch/include")
        check_app(d / "build" / "app", ctx)
    finally:
        ctx.cleanup(d)


def meson_install(ctx: Context, d: Path, tags: bool) -> Path:
    """A fresh build of the library installed to d/prefix; returns the prefix."""
    prefix = d / "prefix"
    # Only the library: no tests, tool, examples or benchmarks to build.
    run(meson_cmd() + ["setup", str(d / "build"), str(ctx.root), f"--prefix={prefix}", "-Dtests=false",
                       "-Dtools=false", "-Dexamples=false", "-Dbench=disabled"],
        env=env_cxx(ctx), what="meson setup of capmatch")
    # --tags devel installs the headers and the pkg-config file; the CMake package files have
    # no install tag (meson's cmake module sets none), so only a plain install brings them.
    extra = ["--tags", "devel"] if tags else []
    run(meson_cmd() + ["install", "-C", str(d / "build")] + extra, what="meson install")
    src = sorted(p.relative_to(ctx.root / "include").as_posix() for p in (ctx.root / "include").rglob("*.hpp"))
    dst = sorted(p.relative_to(prefix / "include").as_posix() for p in (prefix / "include").rglob("*.hpp"))
    if src != dst:
        raise Failure(f"installed headers {dst} differ from include/: {src}")
    for h in src:
        if (prefix / "include" / h).read_bytes() != (ctx.root / "include" / h).read_bytes():
            raise Failure(f"installed {h} differs from the source")
    print(f"installed {len(dst)} headers to {prefix}/include")
    return prefix


def check_pkgconfig(ctx: Context) -> None:
    d = ctx.tmpdir("pkgconfig")
    try:
        prefix = meson_install(ctx, d, tags=True)
        pc_dir = prefix / "share" / "pkgconfig"
        if not (pc_dir / "capmatch.pc").is_file():
            raise Failure(f"no architecture-independent capmatch.pc in {pc_dir}")
        env = {"PKG_CONFIG_PATH": str(pc_dir)}
        cflags = run(["pkg-config", "--cflags", "capmatch"], env=env, what="pkg-config --cflags").split()
        version = run(["pkg-config", "--modversion", "capmatch"], env=env, what="pkg-config --modversion").strip()
        libs = run(["pkg-config", "--libs", "capmatch"], env=env, what="pkg-config --libs").strip()
        print(f"pkg-config: --cflags {' '.join(cflags)} --libs '{libs}' --modversion {version}")
        if version != ctx.version:
            raise Failure(f"pkg-config --modversion says {version}, expected {ctx.version}")
        if cflags != [f"-I{prefix / 'include'}"]:
            raise Failure(f"pkg-config --cflags gave {cflags}, expected -I{prefix / 'include'}")
        if libs:
            raise Failure(f"a header-only library should need no --libs, got {libs!r}")
        app = d / "consumer"
        copy_consumer(app)
        run(ctx.cxx + STRICT + cflags + [str(app / "app.cpp"), "-o", str(app / "app")], what="compiling the consumer")
        check_app(app / "app", ctx)
    finally:
        ctx.cleanup(d)


def cmake_compiler_args(ctx: Context) -> list[str]:
    args = [f"-DCMAKE_CXX_COMPILER={shutil.which(ctx.cxx[-1]) or ctx.cxx[-1]}"]
    if len(ctx.cxx) > 1:
        args.append(f"-DCMAKE_CXX_COMPILER_LAUNCHER={';'.join(ctx.cxx[:-1])}")
    return args


def cmake_consumer(ctx: Context, d: Path, mode: str, defs: dict[str, str]) -> Path:
    app = d / f"consumer-{mode}"
    copy_consumer(app, "CMakeLists.txt")
    build = d / f"build-{mode}"
    run(["cmake", "-S", str(app), "-B", str(build), "-G", "Ninja", f"-DCONSUMER_MODE={mode}",
         "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", "-DCMAKE_BUILD_TYPE=Debug"]
        + cmake_compiler_args(ctx) + [f"-D{k}={v}" for k, v in defs.items()],
        env={"CMAKE_PREFIX_PATH": defs.get("CMAKE_PREFIX_PATH", "")}, what=f"cmake configure ({mode})")
    run(["cmake", "--build", str(build)], what=f"cmake build ({mode})")
    return build


def check_cmake_find_package(ctx: Context) -> None:
    if not shutil.which("cmake"):
        raise Failure("cmake not found")
    d = ctx.tmpdir("cmake-find-package")
    try:
        prefix = meson_install(ctx, d, tags=False)
        cfg = prefix / "share" / "cmake" / "capmatch"
        for f in ("capmatchConfig.cmake", "capmatchConfigVersion.cmake"):
            if not (cfg / f).is_file():
                raise Failure(f"{f} not installed in {cfg}")
        build = cmake_consumer(ctx, d, "find_package", {"CMAKE_PREFIX_PATH": str(prefix),
                                                        "CONSUMER_VERSION": ctx.version})
        compile_commands_use_isystem(build, str(prefix / "include"))
        check_app(build / "app", ctx)
    finally:
        ctx.cleanup(d)


def check_cmake_add_subdirectory(ctx: Context) -> None:
    d = ctx.tmpdir("cmake-add-subdirectory")
    try:
        build = cmake_consumer(ctx, d, "add_subdirectory", {"CAPMATCH_SOURCE": str(ctx.root)})
        compile_commands_use_isystem(build, str(ctx.root / "include"))
        # Only the consumer's own program is compiled: below the top level capmatch adds nothing
        # to build (no tests, tool or examples).
        compiled = sorted({Path(c["file"]).name for c in
                           json.loads((build / "compile_commands.json").read_text(encoding="utf-8"))})
        if compiled != ["app.cpp"]:
            raise Failure(f"add_subdirectory(capmatch) compiles more than the consumer: {compiled}")
        check_app(build / "app", ctx)
    finally:
        ctx.cleanup(d)


def source_files(ctx: Context) -> list[Path]:
    """The repository's files as a release tarball would have them (tracked plus new, not ignored)."""
    try:
        out = run(["git", "-C", str(ctx.root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                  what="git ls-files")
        files = [ctx.root / f for f in out.split("\0") if f]
    except (Failure, FileNotFoundError):
        files = [ctx.root / "CMakeLists.txt"] + list((ctx.root / "include").rglob("*"))
    return sorted(f for f in files if f.is_file())


def check_cmake_fetchcontent(ctx: Context) -> None:
    d = ctx.tmpdir("cmake-fetchcontent")
    try:
        build = cmake_consumer(ctx, d, "fetchcontent_source_dir", {"CAPMATCH_SOURCE": str(ctx.root)})
        check_app(build / "app", ctx)
        # A release-style tarball with one top directory, fetched through a file:// URL (offline).
        tarball = d / f"capmatch-{ctx.version}.tar.gz"
        with tarfile.open(tarball, "w:gz") as tar:
            for f in source_files(ctx):
                tar.add(f, arcname=f"capmatch-{ctx.version}/{f.relative_to(ctx.root).as_posix()}", recursive=False)
        sha = hashlib.sha256(tarball.read_bytes()).hexdigest()
        build = cmake_consumer(ctx, d, "fetchcontent_url", {"CAPMATCH_URL": tarball.as_uri(), "CAPMATCH_SHA256": sha})
        check_app(build / "app", ctx)
    finally:
        ctx.cleanup(d)


def check_single_include(ctx: Context) -> None:
    d = ctx.tmpdir("single-include")
    try:
        app = d / "consumer"
        copy_consumer(app)
        run(ctx.cxx + STRICT + ["-DCONSUMER_SINGLE_HEADER", "-I", str(ctx.root / "single_include"),
                                str(app / "app.cpp"), "-o", str(app / "app")], what="compiling the consumer")
        check_app(app / "app", ctx)
    finally:
        ctx.cleanup(d)


CHECKS = {
    "standalone": check_standalone,
    "odr": check_odr,
    "macros": check_macros,
    "namespace": check_namespace,
    "version": check_version,
    "meson_subproject": check_meson_subproject,
    "pkgconfig": check_pkgconfig,
    "cmake_find_package": check_cmake_find_package,
    "cmake_add_subdirectory": check_cmake_add_subdirectory,
    "cmake_fetchcontent": check_cmake_fetchcontent,
    "single_include": check_single_include,
}


def main() -> int:
    ap = argparse.ArgumentParser(description="capmatch packaging checks")
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--cxx", action="append", required=True, help="compiler command, one word per --cxx")
    ap.add_argument("check", choices=sorted(CHECKS))
    args = ap.parse_args()
    try:
        CHECKS[args.check](Context(args))
    except Failure as e:
        print(f"FAIL {args.check}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
